"""对接看板: dockings by stage; move, owner, due date, overdue highlighted, history."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

from fastapi import Form, Path, Request
from starlette.responses import RedirectResponse, Response

from techmatch.api.console.deps import Staff, WriterPost, render
from techmatch.api.console.labels import actor_code
from techmatch.api.console.messages import error_message
from techmatch.api.console.pages.common import console_router
from techmatch.api.console.views.decide import REJECT_REASONS
from techmatch.api.console.views.docking_board import CONTRACTS, board, sides, titles_of
from techmatch.api.console.views.intake import field_label
from techmatch.api.deps import EngineDep, ServiceDep, VisibilityDep
from techmatch.errors import ConflictError, NotFoundError, ValidationError
from techmatch.matcher.batch.live import refresh_needs
from techmatch.matcher.dockings import (
    Assign,
    DockingFilters,
    Move,
    assign_docking,
    docking_history,
    get_docking,
    load_levels,
    move_docking,
    view,
)
from techmatch.models.dockings import STAGE_LABELS, ContractTerms
from techmatch.models.programme import china_today
from techmatch.models.records import fold_id

router = console_router()
DockingId = Annotated[str, Path(max_length=64, pattern=r"^[\w\-]+$")]
Short = Annotated[str, Form(max_length=200)]


def _hidden(session: Staff, visibility: VisibilityDep) -> frozenset[str]:
    return frozenset() if session.principal.sees_confidential else visibility.confidential_ids()


@router.get("/dockings")
def docking_board(request: Request, session: Staff, engine: EngineDep,
                  visibility: VisibilityDep) -> Response:
    q = request.query_params
    # a need id as the API reads it (N017 pasted with a space, Ｎ０１７ from an input method)
    filters = DockingFilters(need_id=str(fold_id(q.get("need", ""))) or None,
                             owner=actor_code(q.get("owner", "")) or None,
                             overdue=q.get("overdue") == "1")
    columns, total = board(engine.store, filters, hidden=_hidden(session, visibility),
                           admin=session.principal.allows("admin"))
    views = [c for col in columns for c in col.cards]
    titles, conflicts = sides(engine.store, views)
    done = q.get("done", "")
    return render(request, "dockings.html", {
        "title": "对接看板", "columns": columns, "total": total, "shown": len(views),
        "filters": filters, "conflicts": conflicts,
        "titles": titles, "reasons": REJECT_REASONS,
        "contracts": CONTRACTS, "stage_labels": STAGE_LABELS, "today": china_today(),
        "flash": f"对接 {done} 已更新" if done else ""}, session=session)


@router.get("/dockings/{docking_id}")
def docking_detail(request: Request, docking_id: DockingId, session: Staff,
                   engine: EngineDep, visibility: VisibilityDep) -> Response:
    return _detail_page(request, docking_id, session, engine, visibility,
                        flash="已更新" if request.query_params.get("done") else "")


def _detail_page(request: Request, docking_id: str, session: Staff, engine: EngineDep,
                 visibility: VisibilityDep, *, flash: str = "",
                 move_values: dict[str, str] | None = None,
                 move_errors: dict[str, str] | None = None, move_message: str = "",
                 status_code: int = 200) -> Response:
    """The docking's page; after a refused move, its form open again with what was typed and
    the message above it and beside the field it concerns."""
    docking = get_docking(engine.store, docking_id)
    if docking.need_id in _hidden(session, visibility):
        raise NotFoundError(f"没有编号为 {docking_id} 的对接")
    shown = view(docking, admin=session.principal.allows("admin"))
    return render(request, "docking.html", {
        "title": f"对接 {docking_id}", "d": shown, "history": docking_history(engine.store,
                                                                            docking_id),
        "titles": titles_of(engine.store, [shown]), "reasons": REJECT_REASONS,
        "contracts": CONTRACTS, "stage_labels": STAGE_LABELS, "flash": flash,
        "move_values": move_values, "move_errors": move_errors or {},
        "move_message": move_message}, session=session, status_code=status_code)


def _contract(kind: str, value: str, day: str) -> ContractTerms:
    """The signing form's contract; a bad part is named by its own field (合同类型, 合同金额,
    签约日期). No 签约日期: the move dates it today (China date)."""
    if not kind:
        raise ValidationError("必选", field="contract_type")
    amount = _amount(value.strip())
    signed = None
    if day.strip():
        try:
            signed = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise ValidationError(f"不是日期（应为 YYYY-MM-DD）：{day}",
                                  field="signed_on") from None
    try:
        return ContractTerms(contract_type=kind, value_wan=amount, signed_on=signed)  # type: ignore[arg-type]
    except ValueError:
        raise ValidationError(f"未知取值 {kind}（可选：{'、'.join(CONTRACTS)}）",
                              field="contract_type") from None


def _amount(value: str) -> float:
    if not value:
        raise ValidationError("必填", field="value_wan")
    try:
        amount = float(value)
    except ValueError:
        raise ValidationError(f"不是数字：{value}", field="value_wan") from None
    if not math.isfinite(amount) or amount < 0:
        raise ValidationError("应不小于 0", field="value_wan")
    return amount


MOVE_FIELDS = ("to", "reason", "reason_note", "contract_type", "value_wan", "signed_on")


@router.post("/dockings/{docking_id}/move")
def move(request: Request, docking_id: DockingId, session: WriterPost, engine: EngineDep,
         visibility: VisibilityDep, service: ServiceDep,
         to: Annotated[str, Form(max_length=20)], version: Annotated[int, Form(ge=1)],
         reason: Short = "", reason_note: Annotated[str, Form(max_length=2000)] = "",
         never_suggest: Short = "", contract_type: Short = "", value_wan: Short = "",
         signed_on: Short = "", note: Annotated[str, Form(max_length=2000)] = "",
         back: Short = "") -> Response:
    dropping = to == "dropped"
    target = back if back.startswith("/dockings") and not back.startswith("//") else "/dockings"
    try:
        moved = move_docking(engine.store, docking_id, Move(
            to=to, version=version, reason=reason or None if dropping else None,
            reason_note=reason_note.strip() or None if dropping else None,
            never_suggest=dropping and never_suggest == "on",
            contract=_contract(contract_type, value_wan, signed_on) if to == "signed" else None,
            note=note.strip() or None), actor=session.principal.actor,
            admin=session.principal.allows("admin"), levels=load_levels(engine.settings.home))
    except (ValidationError, ConflictError) as exc:
        # refused (no reason to drop, a stale version …): the docking's page with the form
        # open and what was typed, not an error page that Back empties
        field = getattr(exc, "field", None)
        typed = {"to": to, "reason": reason, "reason_note": reason_note,
                 "never_suggest": never_suggest, "contract_type": contract_type,
                 "value_wan": value_wan, "signed_on": signed_on, "note": note, "back": target}
        return _detail_page(
            request, docking_id, session, engine, visibility, move_values=typed,
            move_errors={field: error_message(exc)} if field in MOVE_FIELDS else {},
            move_message=error_message(exc, field_label),
            status_code=409 if isinstance(exc, ConflictError) else 400)
    refresh_needs(service, [moved.need_id])  # a drop or reopen shows on 工作台 at once
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}done={docking_id}", status_code=303)


@router.post("/dockings/{docking_id}/owner")
def reassign(docking_id: DockingId, session: WriterPost, engine: EngineDep,
             owner: Annotated[str, Form(min_length=1, max_length=100)],
             version: Annotated[int, Form(ge=1)]) -> Response:
    if not owner.strip():  # blank: would clear the owner (min_length counts the spaces)
        raise ValidationError("必填", field="owner")
    assign_docking(engine.store, docking_id, Assign(version=version, owner=actor_code(owner)),
                   actor=session.principal.actor)
    return RedirectResponse(f"/dockings/{docking_id}?done=owner", status_code=303)
