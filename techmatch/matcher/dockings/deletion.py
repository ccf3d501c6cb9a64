"""Deleting a record that dockings still work on is refused, naming those dockings.

A docking from 推荐 to 签约 is work in progress: staff follow it up with the record's text and
contacts, and a delete would leave it a bare id (no title on the 对接看板, a link to 记录不存在).
Staff end those dockings first (终止 with a reason, or 验收), which the history keeps; a
record whose dockings are only history can go.
"""

from __future__ import annotations

from techmatch.errors import ConflictError
from techmatch.models.dockings import OPEN_STAGES, STAGE_LABELS, Docking
from techmatch.store import Store
from techmatch.store.dockings import DockingQuery, DockingRepo

ACTIVE_STAGES: tuple[str, ...] = (*OPEN_STAGES, "signed")
NAMED = 5  # dockings named in the message; the rest are counted


def active_dockings(store: Store, rid: str) -> list[Docking]:
    """Dockings at an active stage whose need or candidate is `rid`, oldest first."""
    repo = DockingRepo(store)
    found: dict[str, Docking] = {}
    for query in (DockingQuery(need_id=rid, stages=ACTIVE_STAGES),
                  DockingQuery(candidate_id=rid, stages=ACTIVE_STAGES)):
        rows, _ = repo.page(query, limit=NAMED + 1)
        found.update((d.id, d) for d in rows)
    return sorted(found.values(), key=lambda d: (d.created_at, d.id))


def delete_record(store: Store, rid: str, *, kind: str | None = None) -> str:
    """Delete `rid` (of `kind` when given) and return its kind; ConflictError naming the
    active dockings of the record instead, with nothing deleted."""
    with store.transaction():
        if kind is not None:
            store.get(rid, kind)  # NotFoundError when missing or of another kind
        active = active_dockings(store, rid)
        if active:
            raise ConflictError(_message(rid, active), field="id")
        return store.delete(rid)


def _message(rid: str, active: list[Docking]) -> str:
    named = "、".join(f"{d.id}（{STAGE_LABELS[d.stage]}）" for d in active[:NAMED])
    more = "等" if len(active) > NAMED else ""
    return (f"记录 {rid} 仍有进行中的对接 {named}{more}，删除后这些对接将只剩编号、无法跟进；"
            f"请先在对接看板将其终止（注明原因）或验收，再删除")
