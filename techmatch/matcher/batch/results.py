"""Batch tables in the store and the queries over them: runs, per-need results, per-need state.

`batch_runs` holds one row per run (the API reads `finished`, an ISO time, for /metrics);
`batch_results` holds the current top-k of every (need, target kind) with the run that
computed it; `batch_state` the inputs fingerprint and run of that computation;
`batch_topics` the unmatched-demand keyword counts snapshotted at the end of every run, per
scope (the target kinds whose best confidence decides "matched", e.g. "achievement,expert").
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from techmatch.models.results import Ranking
from techmatch.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_runs (
  run_id TEXT PRIMARY KEY,
  started TEXT NOT NULL,
  finished TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'abandoned')),
  kinds TEXT NOT NULL,
  k INTEGER NOT NULL,
  "full" INTEGER NOT NULL,
  counts TEXT NOT NULL DEFAULT '{}',
  config TEXT NOT NULL DEFAULT '{}',
  generations TEXT NOT NULL DEFAULT '{}',
  seqs TEXT NOT NULL DEFAULT '{}',
  fingerprint TEXT NOT NULL DEFAULT '',
  error TEXT
);
CREATE TABLE IF NOT EXISTS batch_results (
  run_id TEXT NOT NULL,
  need_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  rank INTEGER NOT NULL,
  candidate_id TEXT NOT NULL,
  score REAL NOT NULL,
  confidence REAL,
  routed INTEGER NOT NULL DEFAULT 0,
  explanation TEXT,
  PRIMARY KEY (need_id, kind, rank)
);
CREATE INDEX IF NOT EXISTS batch_results_run ON batch_results(run_id);
CREATE INDEX IF NOT EXISTS batch_results_candidate ON batch_results(kind, candidate_id);
CREATE TABLE IF NOT EXISTS batch_state (
  need_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  run_id TEXT NOT NULL,
  hits INTEGER NOT NULL,
  PRIMARY KEY (need_id, kind)
);
CREATE TABLE IF NOT EXISTS batch_topics (
  run_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  keyword TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (run_id, scope, keyword)
);
"""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    """One row of `batch_runs`, JSON columns decoded."""

    run_id: str
    started: str
    finished: str | None
    status: str
    kinds: list[str]
    k: int
    full: bool
    counts: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    generations: dict[str, str] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""
    error: str | None = None


@dataclass(frozen=True)
class StoredHit:
    """One stored pair of `batch_results`."""

    need_id: str
    kind: str
    rank: int
    candidate_id: str
    score: float
    confidence: float | None
    routed: bool
    explanation: dict[str, Any] | None
    run_id: str


_RUN_COLS = ("run_id, started, finished, status, kinds, k, \"full\", counts, config, "
             "generations, seqs, fingerprint, error")


def ensure(store: Store) -> None:
    """Create the batch tables when missing (idempotent)."""
    store.ensure_schema(SCHEMA)


def _run(row: Sequence[Any]) -> RunRecord:
    return RunRecord(run_id=row[0], started=row[1], finished=row[2], status=row[3],
                     kinds=row[4].split(","), k=int(row[5]), full=bool(row[6]),
                     counts=json.loads(row[7]), config=json.loads(row[8]),
                     generations=json.loads(row[9]), seqs=json.loads(row[10]),
                     fingerprint=row[11], error=row[12])


def get_run(store: Store, run_id: str) -> RunRecord | None:
    with store.lock:
        row = store.db.execute(f"SELECT {_RUN_COLS} FROM batch_runs WHERE run_id = ?",
                               (run_id,)).fetchone()
    return _run(row) if row else None


def runs(store: Store, *, status: str | None = None, limit: int = 20) -> list[RunRecord]:
    """Runs newest first (optionally of one status)."""
    where, args = ("WHERE status = ?", (status, limit)) if status else ("", (limit,))
    with store.lock:
        rows = store.db.execute(f"SELECT {_RUN_COLS} FROM batch_runs {where} "
                                "ORDER BY started DESC, run_id DESC LIMIT ?", args).fetchall()
    return [_run(r) for r in rows]


def insert_run(store: Store, run: RunRecord) -> None:
    """Write a new run row (inside the caller's transaction)."""
    store.db.execute(
        f"INSERT INTO batch_runs({_RUN_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (run.run_id, run.started, run.finished, run.status, ",".join(run.kinds), run.k,
         int(run.full), _dump(run.counts), _dump(run.config), _dump(run.generations),
         _dump(run.seqs), run.fingerprint, run.error))


def set_status(store: Store, run_id: str, status: str, *, counts: dict[str, Any] | None = None,
               generations: dict[str, str] | None = None, error: str | None = None) -> None:
    """Close (or re-open) a run; `finished` is set for every status but 'running'."""
    finished = None if status == "running" else now_iso()
    sets = ["status = ?", "finished = ?", "error = ?"]
    args: list[Any] = [status, finished, error]
    if counts is not None:
        sets.append("counts = ?")
        args.append(_dump(counts))
    if generations is not None:
        sets.append("generations = ?")
        args.append(_dump(generations))
    store.db.execute(f"UPDATE batch_runs SET {', '.join(sets)} WHERE run_id = ?",
                     (*args, run_id))


def state(store: Store, kind: str) -> dict[str, tuple[str, str, int]]:
    """need id → (inputs fingerprint, run id, number of stored hits) for one target kind."""
    with store.lock:
        rows = store.db.execute("SELECT need_id, fingerprint, run_id, hits FROM batch_state "
                                "WHERE kind = ?", (kind,)).fetchall()
    return {r[0]: (r[1], r[2], int(r[3])) for r in rows}


def topk(store: Store, kind: str) -> dict[str, list[tuple[str, float]]]:
    """need id → [(candidate id, confidence)] in rank order, for one target kind."""
    out: dict[str, list[tuple[str, float]]] = {}
    with store.lock:
        rows = store.db.execute("SELECT need_id, candidate_id, confidence FROM batch_results "
                                "WHERE kind = ? ORDER BY need_id, rank", (kind,)).fetchall()
    for need_id, cand, conf in rows:
        out.setdefault(need_id, []).append((cand, float(conf or 0.0)))
    return out


def best_confidence(store: Store, kinds: Sequence[str] | None = None) -> dict[str, float]:
    """need id → best stored confidence over the given target kinds (all when None)."""
    sql = "SELECT need_id, MAX(COALESCE(confidence, 0)) FROM batch_results"
    args: tuple[Any, ...] = ()
    if kinds:
        sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
        args = tuple(kinds)
    with store.lock:
        rows = store.db.execute(sql + " GROUP BY need_id", args).fetchall()
    return {r[0]: float(r[1]) for r in rows}


def write_rankings(store: Store, run_id: str, kind: str,
                   rows: Sequence[tuple[str, str, Ranking]]) -> None:
    """Replace the stored results of each (need, fingerprint, ranking) (caller's transaction)."""
    db = store.db
    for need_id, fingerprint, ranking in rows:
        db.execute("DELETE FROM batch_results WHERE need_id = ? AND kind = ?", (need_id, kind))
        for hit in ranking.hits:
            expl = hit.explanation.model_dump(mode="json") if hit.explanation else None
            db.execute(
                "INSERT INTO batch_results(run_id, need_id, kind, rank, candidate_id, score, "
                "confidence, routed, explanation) VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, need_id, kind, hit.rank, hit.id, hit.score, hit.confidence,
                 int(ranking.routed_to_staff), _dump(expl) if expl else None))
        db.execute("INSERT INTO batch_state(need_id, kind, fingerprint, run_id, hits) "
                   "VALUES (?,?,?,?,?) ON CONFLICT(need_id, kind) DO UPDATE SET "
                   "fingerprint = excluded.fingerprint, run_id = excluded.run_id, "
                   "hits = excluded.hits", (need_id, kind, fingerprint, run_id,
                                            len(ranking.hits)))


def forget_needs(store: Store, need_ids: Sequence[str]) -> None:
    """Drop results and state of needs that no longer exist (caller's transaction)."""
    for need_id in need_ids:
        store.db.execute("DELETE FROM batch_results WHERE need_id = ?", (need_id,))
        store.db.execute("DELETE FROM batch_state WHERE need_id = ?", (need_id,))


def stored_need_ids(store: Store) -> set[str]:
    with store.lock:
        return {r[0] for r in store.db.execute("SELECT DISTINCT need_id FROM batch_state")}


def iter_hits(store: Store, kinds: Sequence[str] | None = None, *,
              need_id: str | None = None) -> Iterator[StoredHit]:
    """Every stored pair (of one need when `need_id` is given), ordered by need, kind, rank."""
    sql = ("SELECT need_id, kind, rank, candidate_id, score, confidence, routed, explanation, "
           "run_id FROM batch_results")
    where: list[str] = []
    args: tuple[Any, ...] = ()
    if kinds:
        where.append(f"kind IN ({','.join('?' * len(kinds))})")
        args += tuple(kinds)
    if need_id is not None:
        where.append("need_id = ?")
        args += (need_id,)
    if where:
        sql += " WHERE " + " AND ".join(where)
    with store.lock:
        rows = store.db.execute(sql + " ORDER BY need_id, kind, rank", args).fetchall()
    for r in rows:
        yield StoredHit(need_id=r[0], kind=r[1], rank=int(r[2]), candidate_id=r[3],
                        score=float(r[4]), confidence=None if r[5] is None else float(r[5]),
                        routed=bool(r[6]), explanation=json.loads(r[7]) if r[7] else None,
                        run_id=r[8])


def scope_of(kinds: Sequence[str]) -> str:
    return ",".join(sorted(kinds))


def save_topics(store: Store, run_id: str, scope: str, counts: dict[str, int]) -> None:
    """Snapshot unmatched-demand keyword counts of a run (caller's transaction)."""
    store.db.execute("DELETE FROM batch_topics WHERE run_id = ? AND scope = ?", (run_id, scope))
    store.db.executemany("INSERT INTO batch_topics(run_id, scope, keyword, count) "
                         "VALUES (?,?,?,?)",
                         [(run_id, scope, kw, n) for kw, n in sorted(counts.items())])


def topics(store: Store, run_id: str, scope: str) -> dict[str, int]:
    with store.lock:
        rows = store.db.execute("SELECT keyword, count FROM batch_topics WHERE run_id = ? AND "
                                "scope = ?", (run_id, scope)).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def _dump(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


@contextmanager
def transaction(store: Store) -> Iterator[None]:
    """One write transaction on the store connection (BEGIN IMMEDIATE … COMMIT)."""
    with store.lock:
        store.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            store.db.execute("COMMIT")
        except BaseException:
            store.db.execute("ROLLBACK")
            raise
