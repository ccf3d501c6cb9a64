"""Batch results as the matcher sees them: rankings in, stored pairs and runs out.

The tables and their SQL live in the store (`techmatch.store.batch`, reached as
`store.batch`); this module turns rankings into stored rows, stamps run times, and keeps
the function names the batch job, exports, analytics and the API use.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from techmatch.models.results import Ranking
from techmatch.store import Store
from techmatch.store.batch import ResultRow, RunRecord, StoredHit, StoredPair

__all__ = ["COUNT_LABELS", "RUN_STATUS_LABELS", "ResultRow", "RunRecord", "StoredHit", "StoredPair"]

# A run's status codes (store.migrations' CHECK) and their Chinese labels, for staff;
# `interrupted` is never stored: it is how `shown_status` reads a running run whose process
# died (killed, machine rebooted) — the next run resumes it.
RUN_STATUS_LABELS: dict[str, str] = {
    "running": "运行中", "finished": "完成", "failed": "失败", "abandoned": "已放弃",
    "interrupted": "中断",
}
# A finished run's counts (`run._Job.finish`; per target kind and, the first three, over all
# kinds: recomputed + skipped + skipped_fresh = open_needs) and their Chinese labels.
COUNT_LABELS: dict[str, str] = {
    "open_needs": "待匹配需求", "recomputed": "重算", "skipped": "跳过（无变化）",
    "skipped_fresh": "运行期间经人工操作更新", "forgotten_needs": "清除已删除需求的结果",
    "chunks": "提交批次",
}
BATCH_LOCK = "batch"  # the advisory lock every live run holds (`lock.py`)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def get_run(store: Store, run_id: str) -> RunRecord | None:
    return store.batch.get_run(run_id)


def runs(store: Store, *, status: str | None = None, limit: int = 20) -> list[RunRecord]:
    """Runs newest first (optionally of one status)."""
    return store.batch.runs(status=status, limit=limit)


def insert_run(store: Store, run: RunRecord) -> None:
    """Write a new run row (inside the caller's transaction)."""
    store.batch.insert_run(run)


def set_status(store: Store, run_id: str, status: str, *, counts: dict[str, Any] | None = None,
               generations: dict[str, str] | None = None, error: str | None = None) -> None:
    """Close (or re-open) a run; `finished` is set for every status but 'running'."""
    store.batch.set_status(run_id, status, finished=None if status == "running" else now_iso(),
                           counts=counts, generations=generations, error=error)


def shown_status(store: Store, run: RunRecord) -> str:
    """The run's status as staff should see it: a run still marked running while no process
    holds the batch lock was interrupted (SIGKILL, a reboot), not running."""
    if run.status == "running" and not store.lock_held(BATCH_LOCK):
        return "interrupted"
    return run.status


def as_shown(store: Store, run: RunRecord) -> RunRecord:
    """A copy of the run with `shown_status` as its status (for pages and the API)."""
    return replace(run, status=shown_status(store, run))


def state(store: Store, kind: str, need_ids: Sequence[str] | None = None
          ) -> dict[str, tuple[str, str, int]]:
    """need id → (inputs fingerprint, run id, number of stored hits) for one target kind
    (of the given needs only, when `need_ids` is given)."""
    return store.batch.state(kind, need_ids)


def topk(store: Store, kind: str) -> dict[str, list[tuple[str, float]]]:
    """need id → [(candidate id, confidence)] in rank order, for one target kind."""
    return store.batch.topk(kind)


def best_confidence(store: Store, kinds: Sequence[str] | None = None) -> dict[str, float]:
    """need id → best stored confidence over the given target kinds (all when None)."""
    return store.batch.best_confidence(kinds)


def pairs(store: Store, kinds: Sequence[str] | None = None, *,
          at_least: float = 0.0) -> list[StoredPair]:
    """Stored (need, kind, candidate, confidence ≥ `at_least`), by need, best first."""
    return store.batch.pairs(kinds, at_least=at_least)


@dataclass(frozen=True)
class NeedResult:
    """What is stored for one need: inputs fingerprint, hits as rows, routed to staff."""

    need_id: str
    fingerprint: str
    hits: list[ResultRow]
    routed: bool

    @classmethod
    def of(cls, need_id: str, fingerprint: str, ranking: Ranking) -> NeedResult:
        hits = [ResultRow(rank=hit.rank, candidate_id=hit.id, score=hit.score,
                          confidence=hit.confidence,
                          explanation=hit.explanation.model_dump(mode="json")
                          if hit.explanation else None) for hit in ranking.hits]
        return cls(need_id, fingerprint, hits, ranking.routed_to_staff)


def write_results(store: Store, run_id: str, kind: str, rows: Sequence[NeedResult]) -> None:
    """Replace the stored results of each need (caller's transaction)."""
    store.batch.replace_many(run_id, kind, [(row.need_id, row.fingerprint, row.hits, row.routed)
                                            for row in rows])


def write_rankings(store: Store, run_id: str, kind: str,
                   rows: Sequence[tuple[str, str, Ranking]]) -> None:
    """Replace the stored results of each (need, fingerprint, ranking) (caller's transaction)."""
    write_results(store, run_id, kind, [NeedResult.of(*row) for row in rows])


def forget_needs(store: Store, need_ids: Sequence[str], kind: str | None = None) -> None:
    """Drop results and state of needs that no longer exist, or whose results are stale (of
    one target kind when `kind` is given; caller's transaction)."""
    store.batch.forget_needs(need_ids, kind)


def stored_need_ids(store: Store) -> set[str]:
    return store.batch.stored_need_ids()


def iter_hits(store: Store, kinds: Sequence[str] | None = None, *,
              need_id: str | None = None) -> Iterator[StoredHit]:
    """Every stored pair (of one need when `need_id` is given), ordered by need, kind, rank."""
    return store.batch.iter_hits(kinds, need_id=need_id)


def scope_of(kinds: Sequence[str]) -> str:
    return ",".join(sorted(kinds))


def save_topics(store: Store, run_id: str, scope: str, counts: dict[str, int]) -> None:
    """Snapshot unmatched-demand keyword counts of a run (caller's transaction)."""
    store.batch.save_topics(run_id, scope, counts)


def topics(store: Store, run_id: str, scope: str) -> dict[str, int]:
    return store.batch.topics(run_id, scope)


@contextmanager
def transaction(store: Store) -> Iterator[None]:
    """One write transaction on the store (all or nothing)."""
    with store.transaction():
        yield
