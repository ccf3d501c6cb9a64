"""Run plans and checkpoints: which needs a run recomputes, and how far it got.

A run's plan (need ids per target kind, with the reason) is written once when the run
starts; the checkpoint of a kind (last need id done, count) is advanced in the same
transaction that stores a chunk's results, so a killed run resumes exactly after the last
committed chunk with the same plan and the same chunk boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from techmatch.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_plan (
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  need_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (run_id, kind, need_id)
);
CREATE TABLE IF NOT EXISTS batch_checkpoints (
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  last_need_id TEXT NOT NULL DEFAULT '',
  done INTEGER NOT NULL DEFAULT 0,
  total INTEGER NOT NULL,
  chunks INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, kind)
);
"""


@dataclass(frozen=True)
class Checkpoint:
    """Progress of one run on one target kind."""

    kind: str
    last_need_id: str
    done: int
    total: int
    chunks: int


def ensure(store: Store) -> None:
    store.ensure_schema(SCHEMA)


def save_plan(store: Store, run_id: str, kind: str, reasons: Mapping[str, str]) -> None:
    """Write the plan of one kind and its empty checkpoint (caller's transaction)."""
    store.db.executemany("INSERT INTO batch_plan(run_id, kind, need_id, reason) "
                         "VALUES (?,?,?,?)",
                         [(run_id, kind, nid, why) for nid, why in sorted(reasons.items())])
    store.db.execute("INSERT INTO batch_checkpoints(run_id, kind, total) VALUES (?,?,?)",
                     (run_id, kind, len(reasons)))


def pending(store: Store, run_id: str, kind: str) -> list[str]:
    """Planned need ids after the checkpoint, in id order."""
    with store.lock:
        row = store.db.execute("SELECT last_need_id FROM batch_checkpoints WHERE run_id = ? "
                               "AND kind = ?", (run_id, kind)).fetchone()
        last = row[0] if row else ""
        rows = store.db.execute("SELECT need_id FROM batch_plan WHERE run_id = ? AND kind = ? "
                                "AND need_id > ? ORDER BY need_id", (run_id, kind, last))
        return [r[0] for r in rows]


def reasons(store: Store, run_id: str) -> dict[str, dict[str, int]]:
    """kind → reason → number of planned needs."""
    out: dict[str, dict[str, int]] = {}
    with store.lock:
        rows = store.db.execute("SELECT kind, reason, COUNT(*) FROM batch_plan WHERE run_id = ? "
                                "GROUP BY kind, reason ORDER BY kind, reason", (run_id,))
        for kind, why, n in rows:
            out.setdefault(kind, {})[why] = int(n)
    return out


def advance(store: Store, run_id: str, kind: str, need_ids: Sequence[str]) -> None:
    """Move the checkpoint past a committed chunk (caller's transaction)."""
    store.db.execute("UPDATE batch_checkpoints SET last_need_id = ?, done = done + ?, "
                     "chunks = chunks + 1 WHERE run_id = ? AND kind = ?",
                     (max(need_ids), len(need_ids), run_id, kind))


def checkpoints(store: Store, run_id: str) -> dict[str, Checkpoint]:
    with store.lock:
        rows = store.db.execute("SELECT kind, last_need_id, done, total, chunks FROM "
                                "batch_checkpoints WHERE run_id = ?", (run_id,)).fetchall()
    return {r[0]: Checkpoint(r[0], r[1], int(r[2]), int(r[3]), int(r[4])) for r in rows}


def planned(store: Store, run_id: str, kind: str) -> dict[str, str]:
    """need id → reason, for every need a run planned to recompute on one kind."""
    with store.lock:
        rows = store.db.execute("SELECT need_id, reason FROM batch_plan WHERE run_id = ? AND "
                                "kind = ? ORDER BY need_id", (run_id, kind)).fetchall()
    return {r[0]: r[1] for r in rows}


def prune(store: Store, keep: Sequence[str]) -> None:
    """Delete plans and checkpoints of every run not in `keep` (caller's transaction)."""
    marks = ",".join("?" * len(keep)) or "''"
    for table in ("batch_plan", "batch_checkpoints"):
        store.db.execute(f"DELETE FROM {table} WHERE run_id NOT IN ({marks})", tuple(keep))
