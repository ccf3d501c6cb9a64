"""Batch run plans and checkpoints: which needs a run recomputes, and how far it got.

A run's plan (need ids per target kind, with the reason) is written once when the run
starts; the checkpoint of a kind (last need id done, count) is advanced in the same
transaction that stores a chunk's results, so a killed run resumes exactly after the last
committed chunk. A planned need the chunk did not store (`fresh`: staff changed it while the
run matched it, and the live refresh stored newer rows or dropped the stale ones) is marked in
the plan (`batch_plan.fresh`, schema version 6) in the same transaction, so a resumed run
counts it too. Writes marked "caller's transaction" run inside `Store.transaction()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from techmatch.store.db import Database


@dataclass(frozen=True)
class Checkpoint:
    """Progress of one run on one target kind."""

    kind: str
    last_need_id: str
    done: int
    total: int
    chunks: int


class PlanRepository:
    """Typed access to `batch_plan` and `batch_checkpoints`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save_plan(self, run_id: str, kind: str, reasons: Mapping[str, str]) -> None:
        """Write the plan of one kind and its empty checkpoint (caller's transaction)."""
        self._db.executemany("INSERT INTO batch_plan(run_id, kind, need_id, reason) "
                             "VALUES (?,?,?,?)",
                             [(run_id, kind, nid, why) for nid, why in sorted(reasons.items())])
        self._db.execute("INSERT INTO batch_checkpoints(run_id, kind, total) VALUES (?,?,?)",
                         (run_id, kind, len(reasons)))

    def pending(self, run_id: str, kind: str) -> list[str]:
        """Planned need ids after the checkpoint, in id order."""
        row = self._db.fetchone("SELECT last_need_id FROM batch_checkpoints WHERE run_id = ? "
                                "AND kind = ?", (run_id, kind))
        last = row[0] if row else ""
        rows = self._db.fetch("SELECT need_id FROM batch_plan WHERE run_id = ? AND kind = ? "
                              "AND need_id > ? ORDER BY need_id", (run_id, kind, last))
        return [r[0] for r in rows]

    def reasons(self, run_id: str) -> dict[str, dict[str, int]]:
        """kind → reason → number of planned needs."""
        out: dict[str, dict[str, int]] = {}
        rows = self._db.fetch("SELECT kind, reason, COUNT(*) FROM batch_plan WHERE run_id = ? "
                              "GROUP BY kind, reason ORDER BY kind, reason", (run_id,))
        for kind, why, n in rows:
            out.setdefault(kind, {})[why] = int(n)
        return out

    def advance(self, run_id: str, kind: str, need_ids: Sequence[str]) -> None:
        """Move the checkpoint past a committed chunk (caller's transaction)."""
        self._db.execute("UPDATE batch_checkpoints SET last_need_id = ?, done = done + ?, "
                         "chunks = chunks + 1 WHERE run_id = ? AND kind = ?",
                         (max(need_ids), len(need_ids), run_id, kind))

    def mark_fresh(self, run_id: str, kind: str, need_ids: Sequence[str]) -> None:
        """Mark planned needs a chunk left as stored (changed during the run; caller's
        transaction)."""
        self._db.executemany("UPDATE batch_plan SET fresh = 1 WHERE run_id = ? AND kind = ? "
                             "AND need_id = ?", [(run_id, kind, nid) for nid in need_ids])

    def fresh(self, run_id: str, kind: str) -> set[str]:
        """Planned needs of one kind a chunk left as stored (`mark_fresh`)."""
        rows = self._db.fetch("SELECT need_id FROM batch_plan WHERE run_id = ? AND kind = ? "
                              "AND fresh = 1", (run_id, kind))
        return {r[0] for r in rows}

    def checkpoints(self, run_id: str | None = None) -> dict[str, Checkpoint]:
        """kind → checkpoint of one run (of the newest-started run when `run_id` is None)."""
        if run_id is None:
            row = self._db.fetchone("SELECT run_id FROM batch_checkpoints "
                                    "ORDER BY run_id DESC LIMIT 1")
            if row is None:
                return {}
            run_id = str(row[0])
        rows = self._db.fetch("SELECT kind, last_need_id, done, total, chunks FROM "
                              "batch_checkpoints WHERE run_id = ?", (run_id,))
        return {r[0]: Checkpoint(r[0], r[1], int(r[2]), int(r[3]), int(r[4])) for r in rows}

    def planned(self, run_id: str, kind: str) -> dict[str, str]:
        """need id → reason, for every need a run planned to recompute on one kind."""
        rows = self._db.fetch("SELECT need_id, reason FROM batch_plan WHERE run_id = ? AND "
                              "kind = ? ORDER BY need_id", (run_id, kind))
        return {r[0]: r[1] for r in rows}

    def prune(self, keep: Sequence[str]) -> None:
        """Delete plans and checkpoints of every run not in `keep` (caller's transaction)."""
        marks = ",".join("?" * len(keep)) or "''"
        for table in ("batch_plan", "batch_checkpoints"):
            self._db.execute(f"DELETE FROM {table} WHERE run_id NOT IN ({marks})", tuple(keep))
