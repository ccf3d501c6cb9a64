"""Batch tables: runs, per-need results and state, unmatched-demand topics.

`batch_runs` holds one row per run (the API reads `finished`, an ISO time, for /metrics);
`batch_results` the current top-k of every (need, target kind) with the run that computed
it; `batch_state` the inputs fingerprint and run of that computation; `batch_topics` the
unmatched-demand keyword counts snapshotted at the end of every run, per scope (the target
kinds whose best confidence decides "matched", e.g. "achievement,expert").
Writes marked "caller's transaction" run inside `Store.transaction()`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from techmatch.store.db import Database, Row

_IN_CHUNK = 500  # need ids per DELETE ... IN (...): under every backend's parameter limit
RUN_COLUMNS = ("run_id, started, finished, status, kinds, k, \"full\", counts, config, "
               "generations, seqs, fingerprint, error")


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


@dataclass(frozen=True)
class StoredPair:
    """One stored pair reduced to what coverage needs: need, kind, candidate, confidence."""

    need_id: str
    kind: str
    candidate_id: str
    confidence: float


@dataclass(frozen=True)
class ResultRow:
    """One hit to store: rank, candidate, score, confidence, explanation (JSON-ready)."""

    rank: int
    candidate_id: str
    score: float
    confidence: float | None
    explanation: dict[str, Any] | None


class BatchRepository:
    """Typed access to the batch tables of one store."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- runs ------------------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunRecord | None:
        row = self._db.fetchone(f"SELECT {RUN_COLUMNS} FROM batch_runs WHERE run_id = ?",
                                (run_id,))
        return _run(row) if row else None

    def runs(self, *, status: str | None = None, limit: int = 20) -> list[RunRecord]:
        """Runs newest first (optionally of one status)."""
        where, args = ("WHERE status = ?", (status, limit)) if status else ("", (limit,))
        rows = self._db.fetch(f"SELECT {RUN_COLUMNS} FROM batch_runs {where} "
                              "ORDER BY started DESC, run_id DESC LIMIT ?", args)
        return [_run(r) for r in rows]

    def insert_run(self, run: RunRecord) -> None:
        """Write a new run row (caller's transaction)."""
        self._db.execute(
            f"INSERT INTO batch_runs({RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run.run_id, run.started, run.finished, run.status, ",".join(run.kinds), run.k,
             int(run.full), dump(run.counts), dump(run.config), dump(run.generations),
             dump(run.seqs), run.fingerprint, run.error))

    def set_status(self, run_id: str, status: str, *, finished: str | None,
                   counts: dict[str, Any] | None = None,
                   generations: dict[str, str] | None = None, error: str | None = None) -> None:
        sets = ["status = ?", "finished = ?", "error = ?"]
        args: list[Any] = [status, finished, error]
        if counts is not None:
            sets.append("counts = ?")
            args.append(dump(counts))
        if generations is not None:
            sets.append("generations = ?")
            args.append(dump(generations))
        self._db.execute(f"UPDATE batch_runs SET {', '.join(sets)} WHERE run_id = ?",
                         (*args, run_id))

    def last_finished(self) -> float:
        """Unix time of the newest run that finished (0 when none): a failed or abandoned
        run gets a `finished` time too, but did not keep the results fresh."""
        row = self._db.fetchone("SELECT MAX(finished) FROM batch_runs WHERE status = ?",
                                ("finished",))
        if row is None or row[0] is None:
            return 0.0
        try:
            return datetime.fromisoformat(str(row[0])).timestamp()
        except ValueError:
            return 0.0

    # -- results and state -----------------------------------------------------------------
    def state(self, kind: str, need_ids: Sequence[str] | None = None
              ) -> dict[str, tuple[str, str, int]]:
        """need id → (inputs fingerprint, run id, number of stored hits) for one target kind
        (of the given needs only, when `need_ids` is given)."""
        if need_ids is None:
            rows = self._db.fetch("SELECT need_id, fingerprint, run_id, hits FROM batch_state "
                                  "WHERE kind = ?", (kind,))
        else:
            ids = list(dict.fromkeys(need_ids))
            rows = []
            for start in range(0, len(ids), _IN_CHUNK):
                part = ids[start:start + _IN_CHUNK]
                rows += self._db.fetch(
                    "SELECT need_id, fingerprint, run_id, hits FROM batch_state WHERE kind = ? "
                    f"AND need_id IN ({','.join('?' * len(part))})", (kind, *part))
        return {r[0]: (r[1], r[2], int(r[3])) for r in rows}

    def topk(self, kind: str) -> dict[str, list[tuple[str, float]]]:
        """need id → [(candidate id, confidence)] in rank order, for one target kind."""
        out: dict[str, list[tuple[str, float]]] = {}
        rows = self._db.fetch("SELECT need_id, candidate_id, confidence FROM batch_results "
                              "WHERE kind = ? ORDER BY need_id, rank", (kind,))
        for need_id, cand, conf in rows:
            out.setdefault(need_id, []).append((cand, float(conf or 0.0)))
        return out

    def best_confidence(self, kinds: Sequence[str] | None = None) -> dict[str, float]:
        """need id → best stored confidence over the given target kinds (all when None)."""
        sql = "SELECT need_id, MAX(COALESCE(confidence, 0)) FROM batch_results"
        args: tuple[Any, ...] = ()
        if kinds:
            sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
            args = tuple(kinds)
        rows = self._db.fetch(sql + " GROUP BY need_id", args)
        return {r[0]: float(r[1]) for r in rows}

    def pairs(self, kinds: Sequence[str] | None = None, *,
              at_least: float = 0.0) -> list[StoredPair]:
        """Every stored (need, kind, candidate, confidence) with confidence ≥ `at_least` (a
        missing confidence counts as 0), over the given target kinds (all when None): by
        need, best confidence first, then kind and rank."""
        sql = ("SELECT need_id, kind, candidate_id, COALESCE(confidence, 0) FROM batch_results "
               "WHERE COALESCE(confidence, 0) >= ?")
        args: tuple[Any, ...] = (at_least,)
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args += tuple(kinds)
        rows = self._db.fetch(sql + " ORDER BY need_id, COALESCE(confidence, 0) DESC, kind, "
                              "rank", args)
        return [StoredPair(r[0], r[1], r[2], float(r[3])) for r in rows]

    def replace_results(self, run_id: str, kind: str, need_id: str, fingerprint: str,
                        hits: Sequence[ResultRow], routed: bool) -> None:
        """Replace the stored results and state of one need (caller's transaction)."""
        self.replace_many(run_id, kind, [(need_id, fingerprint, hits, routed)])

    def replace_many(self, run_id: str, kind: str,
                     needs: Sequence[tuple[str, str, Sequence[ResultRow], bool]]) -> None:
        """Replace the stored results and state of each (need id, fingerprint, hits, routed)
        — a batch chunk's needs in a few statements, not three per need (caller's
        transaction)."""
        needs = list({item[0]: item for item in needs}.values())  # a need given twice: the last
        ids = [need_id for need_id, _, _, _ in needs]
        for start in range(0, len(ids), _IN_CHUNK):
            part = ids[start:start + _IN_CHUNK]
            self._db.execute(f"DELETE FROM batch_results WHERE kind = ? AND need_id IN "
                             f"({','.join('?' * len(part))})", (kind, *part))
        self._db.executemany(
            "INSERT INTO batch_results(run_id, need_id, kind, rank, candidate_id, score, "
            "confidence, routed, explanation) VALUES (?,?,?,?,?,?,?,?,?)",
            [(run_id, need_id, kind, h.rank, h.candidate_id, h.score, h.confidence,
              int(routed), dump(h.explanation) if h.explanation else None)
             for need_id, _, hits, routed in needs for h in hits])
        self._db.executemany(
            "INSERT INTO batch_state(need_id, kind, fingerprint, run_id, hits) "
            "VALUES (?,?,?,?,?) ON CONFLICT(need_id, kind) DO UPDATE SET "
            "fingerprint = excluded.fingerprint, run_id = excluded.run_id, "
            "hits = excluded.hits",
            [(need_id, kind, fingerprint, run_id, len(hits))
             for need_id, fingerprint, hits, _ in needs])

    def hold(self) -> None:
        """Inside a transaction: wait until no other writer of stored results holds them, so
        what the caller reads next stays true until it commits (a batch chunk and a live
        refresh check a need's current inputs before replacing its rows)."""
        self._db.serialize("batch_results")

    def forget_needs(self, need_ids: Sequence[str], kind: str | None = None) -> None:
        """Drop results and state of needs that no longer exist, or whose results are known
        to be stale (of one target kind when `kind` is given; caller's transaction)."""
        where, extra = ("need_id = ? AND kind = ?", (kind,)) if kind else ("need_id = ?", ())
        for need_id in need_ids:
            self._db.execute(f"DELETE FROM batch_results WHERE {where}", (need_id, *extra))
            self._db.execute(f"DELETE FROM batch_state WHERE {where}", (need_id, *extra))

    def stored_need_ids(self) -> set[str]:
        return {r[0] for r in self._db.fetch("SELECT DISTINCT need_id FROM batch_state")}

    def iter_hits(self, kinds: Sequence[str] | None = None, *,
                  need_id: str | None = None) -> Iterator[StoredHit]:
        """Every stored pair (of one need when `need_id` is given), by need, kind, rank."""
        sql = ("SELECT need_id, kind, rank, candidate_id, score, confidence, routed, "
               "explanation, run_id FROM batch_results")
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
        for r in self._db.fetch(sql + " ORDER BY need_id, kind, rank", args):
            yield StoredHit(need_id=r[0], kind=r[1], rank=int(r[2]), candidate_id=r[3],
                            score=float(r[4]), confidence=None if r[5] is None else float(r[5]),
                            routed=bool(r[6]), explanation=json.loads(r[7]) if r[7] else None,
                            run_id=r[8])

    # -- topics ----------------------------------------------------------------------------
    def save_topics(self, run_id: str, scope: str, counts: dict[str, int]) -> None:
        """Snapshot unmatched-demand keyword counts of a run (caller's transaction)."""
        self._db.execute("DELETE FROM batch_topics WHERE run_id = ? AND scope = ?",
                         (run_id, scope))
        self._db.executemany("INSERT INTO batch_topics(run_id, scope, keyword, count) "
                             "VALUES (?,?,?,?)",
                             [(run_id, scope, kw, n) for kw, n in sorted(counts.items())])

    def topics(self, run_id: str, scope: str) -> dict[str, int]:
        rows = self._db.fetch("SELECT keyword, count FROM batch_topics WHERE run_id = ? AND "
                              "scope = ?", (run_id, scope))
        return {r[0]: int(r[1]) for r in rows}


def dump(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def _run(row: Row) -> RunRecord:
    return RunRecord(run_id=row[0], started=row[1], finished=row[2], status=row[3],
                     kinds=row[4].split(","), k=int(row[5]), full=bool(row[6]),
                     counts=json.loads(row[7]), config=json.loads(row[8]),
                     generations=json.loads(row[9]), seqs=json.loads(row[10]),
                     fingerprint=row[11], error=row[12])
