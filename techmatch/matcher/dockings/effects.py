"""What staff decisions change elsewhere: need status, and pairs never suggested again.

- A docking moved to signed makes its need `matched` (when it was open); completed makes it
  `closed` unless the docking is kept open (`keep_open`; changed after 验收, the need follows:
  `matched` again, or `closed`). An admin's reopen out of signed / completed sets the need
  back to `open` when no other docking of it is signed or completed.
- A pair dropped (rejected) with the reason already_solved 需求已解决 closes its need (from
  open or matched; `close_solved_need`): the match, the nightly batch and 工作台 stop treating
  it as open. Who and when are the drop's history entry (its note says the need was closed);
  it is a one-off effect of that drop, not a rule re-derived from the dockings, so staff undo
  it by editing the need's status back (待匹配), and later syncs keep what they set.
- A pair dropped as not relevant, or dropped with `never_suggest`, is excluded for that need
  from match, search by need, batch, roadshow invitations and team assignment
  (`exclusions`); the consumers list it under `excluded` with its reason when asked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from techmatch.errors import ConflictError, NotFoundError
from techmatch.models.dockings import (
    REASON_LABELS,
    STAGE_LABELS,
    Docking,
    Excluded,
    ExcludedPair,
)
from techmatch.models.records import Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

Exclusions = dict[str, dict[str, Excluded]]
CONFIRMED_STAGES: tuple[str, ...] = ("confirmed", "negotiating", "signed", "completed")


def check_version(current: Docking, version: int) -> None:
    """ConflictError naming the current stage when `version` is not the docking's."""
    if version != current.version:
        raise ConflictError(f"对接 {current.id} 已被他人更新，现处于「"
                            f"{STAGE_LABELS[current.stage]}」阶段（第 {current.version} 版，"
                            f"而不是第 {version} 版）；请刷新页面后重试", field="version")


def need_status(dockings: Sequence[Docking], current: str, *, reopened: bool) -> str:
    """The status a need should have given its dockings (see the module docstring)."""
    if any(d.stage == "completed" and not d.keep_open for d in dockings):
        return "closed"
    if any(d.stage in ("signed", "completed") for d in dockings):
        return "matched" if current in ("open", "matched") or reopened else current
    return "open" if reopened and current in ("matched", "closed") else current


def sync_need_status(store: Store, need_id: str, *, reopened: bool = False) -> str | None:
    """Bring the need's status in line with its dockings; returns the new status if changed.
    The need is read and written back under the records' lock: an edit of it committed by
    another writer meanwhile is never overwritten (joins the caller's transaction)."""
    repo = DockingRepo(store)
    with repo.transaction():
        repo.lock_records()
        try:
            need = store.get(need_id, "need")
        except NotFoundError:  # the need was deleted since: nothing to update
            return None
        if not isinstance(need, Need):
            return None
        current = str(need.status)
        wanted = need_status(repo.for_needs([need_id]), current, reopened=reopened)
        if wanted == current:
            return None
        store.upsert([need.model_copy(update={"status": wanted})])
    return wanted


SOLVED_REASON = "already_solved"
SOLVED_NOTE = "需求已解决：需求状态改为已关闭（如需重新开放，请编辑需求状态）"


def closes_need(from_stage: str, docking: Docking) -> bool:
    """A move into dropped with the reason already_solved (需求已解决)."""
    return (docking.stage == "dropped" and from_stage != "dropped"
            and docking.reason == SOLVED_REASON)


def solved_note(from_stage: str, to_stage: str, reason: str | None) -> str | None:
    """What the history entry of a move into dropped as already_solved adds (else None)."""
    return SOLVED_NOTE if to_stage == "dropped" and from_stage != "dropped" \
        and reason == SOLVED_REASON else None


def follow_moves(store: Store, need_id: str, moves: Iterable[tuple[str, Docking]], *,
                 reopened: bool = False) -> str | None:
    """A need after dockings of it moved — each (stage it was at, docking after the move):
    its status follows its dockings (`sync_need_status`), then a move into dropped as
    already_solved closes it (`close_solved_need`). Returns its status when it changed. The
    one path of move_docking, record_feedback and the docking import (joins the caller's
    transaction)."""
    status = sync_need_status(store, need_id, reopened=reopened)
    if any(closes_need(from_stage, docking) for from_stage, docking in moves):
        status = close_solved_need(store, need_id) or status
    return status


def close_solved_need(store: Store, need_id: str) -> str | None:
    """The need a pair was dropped for as already solved: closed when open or matched;
    returns "closed" when it changed (joins the caller's transaction, under the records'
    lock as `sync_need_status`)."""
    repo = DockingRepo(store)
    with repo.transaction():
        repo.lock_records()
        try:
            need = store.get(need_id, "need")
        except NotFoundError:
            return None
        if not isinstance(need, Need) or str(need.status) == "closed":
            return None
        store.upsert([need.model_copy(update={"status": "closed"})])
    return "closed"


def sync_needs(store: Store, need_ids: Iterable[str]) -> dict[str, str]:
    """After needs were written from outside the dockings (a file ingest, an upload, an API
    upsert): bring those that have dockings back in line with them, so a re-uploaded need
    sheet saying `open` does not reopen a need with a signed docking. need id → new status
    of each need changed."""
    ids = sorted(set(need_ids))
    docked = sorted({d.need_id for d in DockingRepo(store).for_needs(ids)}) if ids else []
    changed = {need_id: sync_need_status(store, need_id) for need_id in docked}
    return {need_id: status for need_id, status in changed.items() if status is not None}


def exclusions(store: Store, need_ids: Sequence[str] | None = None) -> Exclusions:
    """need id → candidate id → why it is excluded, for the dropped pairs that exclude."""
    out: Exclusions = {}
    for d in DockingRepo(store).dropped(need_ids):
        if d.excludes:
            out.setdefault(d.need_id, {})[d.candidate_id] = Excluded(
                candidate_id=d.candidate_id, candidate_kind=d.candidate_kind, docking_id=d.id,
                reason=d.reason,
                reason_label=REASON_LABELS[d.reason] if d.reason else "",
                never_suggest=d.never_suggest)
    return out


def excluded_pairs(store: Store, need_ids: Sequence[str],
                   candidate_ids: Collection[str]) -> list[ExcludedPair]:
    """The excluded pairs among `need_ids` × `candidate_ids`, by need then candidate."""
    found = exclusions(store, need_ids)
    return [ExcludedPair(need_id=n, **found[n][c].model_dump()) for n in sorted(found)
            for c in sorted(found[n]) if c in candidate_ids]


def need_outcomes(store: Store) -> dict[str, str]:
    """need id → "signed" (a docking at 签约 / 验收) or "confirmed" (企业确认 / 洽谈), for
    coverage's confirmed and signed counts (dropped dockings count for nothing)."""
    out: dict[str, str] = {}
    for need_id, stage in DockingRepo(store).need_stages(CONFIRMED_STAGES):
        if stage in ("signed", "completed"):
            out[need_id] = "signed"
        else:
            out.setdefault(need_id, "confirmed")
    return out


def excluded_ids(store: Store, need_id: str) -> frozenset[str]:
    return frozenset(exclusions(store, [need_id]).get(need_id, {}))


def exclusion_digest(found: dict[str, Excluded]) -> str:
    """A short stable text of a need's excluded candidates (for batch fingerprints)."""
    return ",".join(sorted(found))
