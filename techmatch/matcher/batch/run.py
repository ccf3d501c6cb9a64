"""The nightly batch job: keep every open need's top-k achievements / experts fresh.

One run: take the lock → sync the indexes → resume the unfinished run with the same
configuration, or plan a new one (`plan.py`: incremental rule) → for each target kind
match the planned needs in id order, chunk by chunk, committing each chunk's results and
the checkpoint in one transaction (a need whose inputs changed since the chunk read them —
a staff action, whose live refresh stored newer rows — keeps what is stored:
`write_current`, and is marked in the plan: counted as `skipped_fresh`, not recomputed)
→ forget deleted needs, snapshot unmatched topics, close
the run record.

Chunks are matched in `workers` forked processes (`workers.py`; default one per CPU) and
committed by this process in plan order, so the stored results and checkpoints are those of
matching the chunks one after another here (`workers=1`). While chunks are matched the
cyclic garbage collector is paused and the heap frozen (`gcpause.py`: its full collections
cost about a sixth of the batch's CPU time), one young collection per chunk instead.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from techmatch.errors import IndexMissingError, ValidationError, coded
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.analytics.dockable import dockable_best
from techmatch.matcher.analytics.topics import need_keywords
from techmatch.matcher.batch import checkpoint, gcpause, results
from techmatch.matcher.batch.fingerprint import (
    config_fingerprint,
    need_fingerprint,
    need_inputs,
    resolved_config,
)
from techmatch.matcher.batch.lock import batch_lock
from techmatch.matcher.batch.plan import is_open, plan_kind
from techmatch.matcher.batch.workers import chunk_results, effective_workers
from techmatch.matcher.engine import Engine
from techmatch.matcher.features import Query
from techmatch.matcher.memo import CandidateMemo
from techmatch.matcher.service import MatchService
from techmatch.models.records import KIND_LABELS, Need, Record
from techmatch.store import Store

log = logging.getLogger(__name__)

TARGETS: tuple[str, ...] = ("achievement", "expert")


def target_kinds_error(unknown: Sequence[str]) -> ValidationError:
    """Target kinds refused (field kinds): the unknown ones, or none given; lists TARGETS."""
    valid = coded(TARGETS, KIND_LABELS)
    said = f"未知匹配对象 {'、'.join(unknown)}" if unknown else "至少需要一种匹配对象"
    return ValidationError(f"{said}（可选：{valid}）", field="kinds")
KEEP_PLANS = 30
PRELOAD_CHUNK = 5000  # candidate records parsed per statement group by `_preload`
TAIL_CHUNKS = 2  # per worker: the run's last chunks, handed out in parts (`tail_parts`)
TAIL_PARTS = 4
# Target-kind sets whose unmatched topics are snapshotted for `stats` (rising topics).
TOPIC_SCOPES: tuple[str, ...] = ("achievement", "expert", "achievement,expert")
Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]
OnChunk = Callable[[str, Sequence[str]], None]


@dataclass(frozen=True)
class BatchOptions:
    """What to run: target kinds, hits per need, full recompute, needs per chunk, whether
    hits get explanations (the costly part: sentence vectors of every hit), and how many
    worker processes match chunks (0: one per CPU; 1: none, all in this process). Workers
    change the speed only, never the results."""

    kinds: tuple[str, ...] = TARGETS
    k: int = 10
    full: bool = False
    chunk: int = 32
    explain: bool = True
    workers: int = 0

    def __post_init__(self) -> None:
        unknown = [kd for kd in self.kinds if kd not in TARGETS]
        if unknown or not self.kinds:
            raise target_kinds_error(unknown)
        if self.k < 1:
            raise ValidationError("应不小于 1", field="k")
        if self.chunk < 1:
            raise ValidationError("应不小于 1", field="chunk")
        if self.workers < 0:
            raise ValidationError("应不小于 0（0：每个 CPU 一个）", field="workers")


@dataclass
class BatchSummary:
    """What a run did, in open needs over all target kinds: `recomputed` (the run stored
    rows for it on at least one kind), `skipped_fresh` (planned, but staff changed it during
    the run on every kind planned: the live refresh's rows, or none, stand), `skipped` (not
    planned: nothing changed); the three add up to the open needs."""

    run_id: str
    status: str
    resumed: bool
    recomputed: int
    skipped: int
    seconds: float
    skipped_fresh: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    generations: dict[str, str] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_batch(engine: Engine, options: BatchOptions, *, service: MatchService | None = None,
              progress: Progress | None = None, on_chunk: OnChunk | None = None) -> BatchSummary:
    """Run (or resume) one batch under the lock; see the module docstring."""
    started = time.monotonic()
    with batch_lock(engine.store):
        engine.sync(_sync_kinds(options.kinds))
        service = service or MatchService(engine)
        job = _Job(engine, service, options)
        run, resumed = job.open_run()
        try:
            job.execute(run, progress or _log_progress, on_chunk)
            summary = job.finish(run, resumed)
        except BaseException as exc:
            with results.transaction(engine.store):
                results.set_status(engine.store, run.run_id, "failed",
                                   error=f"{type(exc).__name__}: {exc}")
            raise
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


class _Job:
    """One run's state: engine, service, options and the resolved configuration."""

    def __init__(self, engine: Engine, service: MatchService, options: BatchOptions) -> None:
        self.engine = engine
        self.service = service
        self.options = options
        self.configs = {kind: resolved_config(service, kind=kind, k=options.k,
                                              chunk=options.chunk, explain=options.explain)
                        for kind in options.kinds}
        self.fps = {kind: config_fingerprint(cfg) for kind, cfg in self.configs.items()}
        self.fingerprint = config_fingerprint({"fps": self.fps, "full": options.full})

    @property
    def store(self) -> Store:
        return self.engine.store  # a forked worker's own connection after `after_fork`

    # -- open ------------------------------------------------------------------------------
    def open_run(self) -> tuple[results.RunRecord, bool]:
        """The unfinished run with this configuration (resumed), or a newly planned one."""
        for run in results.runs(self.store, limit=5):
            if run.status not in ("running", "failed"):
                continue
            with results.transaction(self.store):
                if run.fingerprint == self.fingerprint and run.kinds == list(self.options.kinds):
                    results.set_status(self.store, run.run_id, "running")
                    log.info("resuming batch run %s", run.run_id)
                    return run, True
                results.set_status(self.store, run.run_id, "abandoned", error=run.error)
        return self._new_run(), False

    def _new_run(self) -> results.RunRecord:
        now = datetime.now(timezone.utc)
        run = results.RunRecord(
            # `started` to the microsecond: runs list newest first by it, and two runs of
            # one second (small data, tests) were listed in random order
            run_id=f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}",
            started=now.isoformat(timespec="microseconds"),
            finished=None, status="running", kinds=list(self.options.kinds), k=self.options.k,
            full=self.options.full, config=self.configs, generations=self._generations(),
            seqs=self._seqs(), fingerprint=self.fingerprint)
        needs = [n for n in self.store.iter_records("need") if isinstance(n, Need) and is_open(n)]
        run_seqs = {r.run_id: r.seqs for r in results.runs(self.store, limit=10_000)}
        plans = {kind: plan_kind(self.store, self.service, needs, kind=kind, k=self.options.k,
                                 config_fp=self.fps[kind], full=self.options.full,
                                 run_seqs=run_seqs) for kind in self.options.kinds}
        with results.transaction(self.store):
            results.insert_run(self.store, run)
            for kind, plan in plans.items():
                checkpoint.save_plan(self.store, run.run_id, kind, plan.recompute)
        log.info("batch run %s planned: %s", run.run_id,
                 {kd: len(p.recompute) for kd, p in plans.items()})
        return run

    def _seqs(self) -> dict[str, int]:
        """Store sequence each candidate index reflects at the start of the run."""
        out = {}
        for kind in _sync_kinds(self.options.kinds):
            try:
                out[kind] = min(self.engine.index(kind).applied_seq,
                                self.store.last_seq(kind))
            except IndexMissingError:
                out[kind] = self.store.last_seq(kind)
        return out

    def _generations(self) -> dict[str, str]:
        out = {}
        for kind in self.options.kinds:
            try:
                out[kind] = self.engine.index(kind).generation
            except IndexMissingError:
                out[kind] = ""
        return out

    # -- execute ---------------------------------------------------------------------------
    def execute(self, run: results.RunRecord, progress: Progress,
                on_chunk: OnChunk | None) -> None:
        """Match every pending planned need, chunk by chunk, each chunk one transaction."""
        for kind in self.options.kinds:
            pending = checkpoint.pending(self.store, run.run_id, kind)
            size = int(run.config.get(kind, {}).get("chunk", self.options.chunk))
            tasks = [(kind, pending[start:start + size])
                     for start in range(0, len(pending), size)]
            workers = self.options.workers if self._fork_safe() else 1
            with gcpause.paused(), remembering(self.service):
                self._preload(kind, len(pending))
                if effective_workers(workers, len(tasks)) > 1:
                    self._warm(tasks)
                gcpause.settle()
                self._match(run.run_id, kind, tasks, workers, len(pending), progress,
                            on_chunk)

    def _match(self, run_id: str, kind: str, tasks: list[tuple[str, list[str]]],
               workers: int, pending: int, progress: Progress,
               on_chunk: OnChunk | None) -> None:
        parts = tail_parts(tasks, effective_workers(workers, len(tasks)))
        with progress(f"batch {kind}", pending) as advance, \
                chunk_results(self._rows, [part for _, part, _ in parts], workers=workers,
                              after_fork=self.service.after_fork) as computed:
            rows: list[results.NeedResult] = []
            for (c, _, last), found in zip(parts, computed, strict=True):
                rows.extend(found)
                if not last:
                    continue
                chunk = tasks[c][1]
                self._commit(run_id, kind, chunk, rows)
                rows = []
                advance(len(chunk))
                if on_chunk is not None:
                    on_chunk(kind, chunk)

    def _fork_safe(self) -> bool:
        """Whether worker processes may search the indexes (not Elasticsearch's clients)."""
        try:
            return all(self.engine.index(kind).fork_safe
                       for kind in _sync_kinds(self.options.kinds))
        except IndexMissingError:
            return False

    def _preload(self, kind: str, needs: int) -> None:
        """Parse every candidate record and read its token set once, before matching, when
        the needs will retrieve more candidates than there are records (a large batch
        touches most of them, many times): each worker then starts with them in memory,
        shared copy-on-write, instead of parsing them again chunk after chunk."""
        depth = max(self.options.k, self.service.depth)
        ids = sorted(self.store.record_seqs(kind))
        if not ids or needs * depth < len(ids) or len(ids) > self.store.parsed.capacity // 2:
            return
        for start in range(0, len(ids), PRELOAD_CHUNK):
            records = self.store.parsed.get_many(ids[start:start + PRELOAD_CHUNK])
            memo = self.service.memo
            self.service.tokens_many([memo.text(r) if memo is not None else r.text()
                                      for r in records.values()])

    def _open_needs(self, need_ids: list[str]) -> list[Need]:
        live = self.store.get_many(need_ids)
        return [n for nid in need_ids if isinstance(n := live.get(nid), Need) and is_open(n)]

    def _warm(self, tasks: list[tuple[str, list[str]]]) -> None:
        """Before forking: load what every worker reads once, here (shared copy-on-write):
        the indexes, retriever and dictionary, model (one need matched), and each chunk's
        query vectors — encoded here when missing, with the chunk's own texts as the serial
        path encodes them, and kept in the vector cache the workers read."""
        for i, (kind, ids) in enumerate(tasks):
            needs = self._open_needs(ids)
            if needs:
                self.engine.query_vectors([normalize(Query.of(n).text, lower=False)
                                           for n in needs], stored=[True] * len(needs))
            if needs and i == 0:
                self.service.match_many(needs[:1], target=kind, k=self.options.k,
                                        explain=self.options.explain, records=False)

    def _rows(self, kind: str, need_ids: list[str]) -> list[results.NeedResult]:
        """What to store for the open needs of one chunk (rows, not rankings: a worker
        sends them to the parent, and rows are what it writes)."""
        rows = need_rows(self.service, self._open_needs(need_ids), kind, k=self.options.k,
                         explain=self.options.explain, config_fp=self.fps[kind])
        gcpause.after_chunk()
        return rows

    def _commit(self, run_id: str, kind: str, need_ids: list[str],
                rows: list[results.NeedResult]) -> None:
        with results.transaction(self.store):
            fresh = write_current(self.store, run_id, kind, rows, config_fp=self.fps[kind])
            checkpoint.mark_fresh(self.store, run_id, kind, fresh)
            checkpoint.advance(self.store, run_id, kind, need_ids)

    # -- finish ----------------------------------------------------------------------------
    def finish(self, run: results.RunRecord, resumed: bool) -> BatchSummary:
        """Forget deleted needs, snapshot unmatched topics, close the run record."""
        needs = list(self.store.iter_records("need"))
        open_ids = {n.id for n in needs if is_open(n)}
        gone = sorted(results.stored_need_ids(self.store) - {n.id for n in needs})
        planned = {kd: checkpoint.planned(self.store, run.run_id, kd) for kd in run.kinds}
        fresh = {kd: checkpoint.fresh(self.store, run.run_id, kd) for kd in run.kinds}
        recomputed = set().union(*(set(planned[kd]) - fresh[kd] for kd in run.kinds)) & open_ids
        left = (set().union(*planned.values()) & open_ids) - recomputed
        counts = self._counts(run, planned, fresh, open_ids, gone)
        counts.update(recomputed=len(recomputed), skipped_fresh=len(left),
                      skipped=len(open_ids) - len(recomputed) - len(left))
        counts["topics_threshold"] = self.engine.settings.confidence_threshold
        words = {n.id: need_keywords(n, self.engine.tokenizer) for n in needs
                 if isinstance(n, Need) and n.id in open_ids}  # tokenized once for all scopes
        open_needs = {n.id: n for n in needs if isinstance(n, Need) and n.id in open_ids}
        seen: dict[str, Record] = {}  # candidates read for one scope serve the next
        topics = {scope: self._topics(words, scope, open_needs, seen) for scope in TOPIC_SCOPES}
        keep = [r.run_id for r in results.runs(self.store, limit=KEEP_PLANS)]
        with results.transaction(self.store):
            results.forget_needs(self.store, gone)
            for scope, found in topics.items():
                results.save_topics(self.store, run.run_id, scope, found)
            results.set_status(self.store, run.run_id, "finished", counts=counts,
                               generations=self._generations())
            checkpoint.prune(self.store, keep)
        skipped = counts["skipped"]
        message = (f"nothing changed since the last run: 0 of {len(open_ids)} open needs "
                   "recomputed" if not recomputed and not left else
                   f"recomputed {len(recomputed)} of {len(open_ids)} open needs, "
                   f"skipped {skipped}"
                   + (f", {len(left)} changed by staff during the run (their live results "
                      "kept)" if left else ""))
        return BatchSummary(run_id=run.run_id, status="finished", resumed=resumed,
                            recomputed=len(recomputed), skipped=skipped, seconds=0.0,
                            skipped_fresh=len(left), counts=counts,
                            generations=self._generations(), message=message)

    def _topics(self, words: Mapping[str, set[str]], scope: str, needs: Mapping[str, Need],
                seen: dict[str, Record]) -> dict[str, int]:
        """Keyword counts of the open needs (`words`: id → keywords) without a confident match
        over the scope's kinds — a confident pair that cannot dock (conflicts.py) is none, as
        in the coverage report these counts are compared with."""
        threshold = self.engine.settings.confidence_threshold
        best = dockable_best(self.store, needs, scope.split(","), at_least=threshold,
                             cache=seen)
        counts: Counter[str] = Counter()
        for need_id, found in words.items():
            if need_id not in best or best[need_id].confidence < threshold:
                counts.update(found)
        return dict(counts)

    def _counts(self, run: results.RunRecord, planned: dict[str, dict[str, str]],
                fresh: dict[str, set[str]], open_ids: set[str], gone: list[str]
                ) -> dict[str, Any]:
        """Per target kind, over the open needs: recomputed + skipped (not planned) +
        skipped_fresh (planned, left to a staff action's refresh) = open_needs; `reasons`
        count the plan (a need planned, then closed or deleted, too)."""
        out: dict[str, Any] = {"open_needs": len(open_ids), "forgotten_needs": len(gone)}
        done = checkpoint.checkpoints(self.store, run.run_id)
        for kind, plan in planned.items():
            reasons: dict[str, int] = {}
            for why in plan.values():
                reasons[why] = reasons.get(why, 0) + 1
            ran = set(plan) & open_ids
            out[kind] = {"recomputed": len(ran - fresh[kind]),
                         "skipped": len(open_ids - ran),
                         "skipped_fresh": len(ran & fresh[kind]),
                         "reasons": reasons, "chunks": done[kind].chunks if kind in done else 0}
        return out


def need_rows(service: MatchService, needs: Sequence[Need], kind: str, *, k: int,
              explain: bool, config_fp: str) -> list[results.NeedResult]:
    """What the batch stores for `needs` and one target kind: each need's ranking
    (`match_many`, hits without their records: rows keep ids) as rows, with its inputs
    fingerprint under the configuration `config_fp`. A chunk of a run and the refresh after
    a staff action (`live.py`) both store these."""
    rankings = (service.match_many(needs, target=kind, k=k, explain=explain, records=False)
                if needs else [])
    inputs = need_inputs(service.engine.store, needs, kind)
    return [results.NeedResult.of(n.id, need_fingerprint(config_fp, inputs[n.id]), r)
            for n, r in zip(needs, rankings, strict=True)]


def write_current(store: Store, run_id: str, kind: str, rows: Sequence[results.NeedResult],
                  *, config_fp: str) -> list[str]:
    """Replace the stored rows of each need whose inputs are still those the rows were
    computed from (their fingerprint under `config_fp`); return the ids of the others, left
    as stored when they are current, else dropped (未计算 until the next run recomputes them;
    caller's transaction). A chunk reads its needs, matches them, then commits:
    a staff action in between (a pair rejected, a need edited) has had its own rows stored by
    `live.refresh_needs`, or its stale rows dropped — newer than the chunk's, which would put
    the old ranking back. Checked under the results' write lock, in the transaction that
    writes, so no refresh commits between the check and the write."""
    if not rows:
        return []
    store.batch.hold()
    live = store.get_many([row.need_id for row in rows])
    needs = [n for row in rows if isinstance(n := live.get(row.need_id), Need)]
    inputs = need_inputs(store, needs, kind)
    now = {n.id: need_fingerprint(config_fp, inputs[n.id]) for n in needs}
    results.write_results(store, run_id, kind,
                          [row for row in rows if now.get(row.need_id) == row.fingerprint])
    skipped = [row.need_id for row in rows if now.get(row.need_id) != row.fingerprint]
    stored = results.state(store, kind, skipped) if skipped else {}
    results.forget_needs(store, [nid for nid in skipped if nid in stored
                                 and stored[nid][0] != now.get(nid)], kind)
    return skipped


def tail_parts(tasks: Sequence[tuple[str, list[str]]], workers: int
               ) -> list[tuple[int, tuple[str, list[str]], bool]]:
    """What the workers are handed: (chunk index, (kind, need ids), last part of its chunk).
    With several workers the last `TAIL_CHUNKS` chunks per worker go out in `TAIL_PARTS`
    parts, so the run does not end with one worker finishing a whole chunk while the others
    wait; a chunk is still committed whole, with its checkpoint, once its parts are back
    (each need's results do not depend on the needs matched beside it)."""
    split_from = len(tasks) - TAIL_CHUNKS * workers if workers > 1 else len(tasks)
    out: list[tuple[int, tuple[str, list[str]], bool]] = []
    for c, (kind, ids) in enumerate(tasks):
        n = TAIL_PARTS if c >= split_from else 1
        step = max(1, -(-len(ids) // n))
        pieces = [ids[i:i + step] for i in range(0, len(ids), step)] or [ids]
        out.extend((c, (kind, piece), j == len(pieces) - 1) for j, piece in enumerate(pieces))
    return out


def _sync_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    """Indexes a run reads: the targets, and achievements for expert work evidence."""
    extra = ("achievement",) if "expert" in kinds else ()
    return tuple(dict.fromkeys((*kinds, *extra)))


@contextmanager
def remembering(service: MatchService) -> Iterator[None]:
    """While matching: the service remembers its candidates' texts, normalised texts and
    languages from need to need (techmatch.matcher.memo; the same values, computed once)."""
    prior = service.memo
    service.memo = prior if prior is not None else CandidateMemo()
    try:
        yield
    finally:
        service.memo = prior


@contextmanager
def _log_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        log.info("%s: %d/%d", label, done[0], total)

    yield advance
