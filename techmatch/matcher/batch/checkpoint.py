"""Run plans and checkpoints, as the batch job uses them (tables in `techmatch.store.checkpoints`).

A run's plan (need ids per target kind, with the reason) is written once when the run
starts; the checkpoint of a kind is advanced in the same transaction that stores a chunk's
results, so a killed run resumes exactly after the last committed chunk with the same plan
and the same chunk boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from techmatch.store import Store
from techmatch.store.checkpoints import Checkpoint

__all__ = ["Checkpoint"]


def save_plan(store: Store, run_id: str, kind: str, reasons: Mapping[str, str]) -> None:
    """Write the plan of one kind and its empty checkpoint (caller's transaction)."""
    store.plans.save_plan(run_id, kind, reasons)


def pending(store: Store, run_id: str, kind: str) -> list[str]:
    """Planned need ids after the checkpoint, in id order."""
    return store.plans.pending(run_id, kind)


def reasons(store: Store, run_id: str) -> dict[str, dict[str, int]]:
    """kind → reason → number of planned needs."""
    return store.plans.reasons(run_id)


def advance(store: Store, run_id: str, kind: str, need_ids: Sequence[str]) -> None:
    """Move the checkpoint past a committed chunk (caller's transaction)."""
    store.plans.advance(run_id, kind, need_ids)


def mark_fresh(store: Store, run_id: str, kind: str, need_ids: Sequence[str]) -> None:
    """Mark planned needs a chunk did not store (changed by staff during the run: their live
    refresh's rows stand, `run.write_current`; caller's transaction)."""
    if need_ids:
        store.plans.mark_fresh(run_id, kind, need_ids)


def fresh(store: Store, run_id: str, kind: str) -> set[str]:
    """Planned needs of one kind a chunk did not store (`mark_fresh`)."""
    return store.plans.fresh(run_id, kind)


def checkpoints(store: Store, run_id: str) -> dict[str, Checkpoint]:
    return store.plans.checkpoints(run_id)


def planned(store: Store, run_id: str, kind: str) -> dict[str, str]:
    """need id → reason, for every need a run planned to recompute on one kind."""
    return store.plans.planned(run_id, kind)


def prune(store: Store, keep: Sequence[str]) -> None:
    """Delete plans and checkpoints of every run not in `keep` (caller's transaction)."""
    store.plans.prune(keep)
