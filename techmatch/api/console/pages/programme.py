"""项目看板, 活动 (with milestones), 培训策划 and the registries: thin handlers over
`techmatch.matcher.programme`."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any

import pydantic
from fastapi import Form, Path, Request
from starlette.responses import RedirectResponse, Response

from techmatch.api.console.deps import Staff, Writer, WriterPost, render
from techmatch.api.console.pages.common import console_router, date_range, parse_date
from techmatch.api.console.pages.plans import XLSX, PlanId, plan_page
from techmatch.api.console.session import StaffSession
from techmatch.api.console.views.decide import form_day
from techmatch.api.console.views.programme import (
    LABELS,
    dashboard_view,
    milestone_lines,
    participant_reasons,
    pending_invitations,
    ratio_text,
    year_window,
)
from techmatch.api.console.views.saved_plans import PlanFiles
from techmatch.api.deps import EngineDep, ServiceDep, VisibilityDep
from techmatch.api.routers.programme import hidden_needs, redact_event
from techmatch.api.routers.programme_events import attachment
from techmatch.api.visibility import Visibility
from techmatch.errors import ConflictError, NotFoundError, ValidationError
from techmatch.matcher import programme as service
from techmatch.matcher.dockings import load_levels
from techmatch.matcher.engine import Engine
from techmatch.matcher.plans import open_needs
from techmatch.matcher.programme.exports import draw_dashboard, write_dashboard_xlsx
from techmatch.matcher.programme.places import Places
from techmatch.matcher.roadshow import RoadshowPlan
from techmatch.models.programme import EVENT_TYPES, Event, china_today
from techmatch.models.records import Expert

router = console_router()
EventId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\w.\-:]+$")]
Short = Annotated[str, Form(max_length=200)]
HELPERS = {"ratio_text": ratio_text, "plabels": LABELS}  # `number`: a template global


def _window(request: Request, errors: dict[str, str]) -> tuple[dt.date, dt.date]:
    first, last = year_window(china_today())
    start = parse_date(request.query_params.get("from"), "from", errors) or first
    end = parse_date(request.query_params.get("to"), "to", errors) or last
    if start > end:
        errors["from"] = "起始日期不能晚于截止日期"
        start, end = first, last
    return start, end


def _city(request: Request) -> str | None:
    return (request.query_params.get("city") or "").strip() or None


def _board(request: Request, engine: Engine, session: StaffSession, visibility: Visibility
           ) -> tuple[service.Dashboard, dict[str, str]]:
    errors: dict[str, str] = {}
    start, end = _window(request, errors)
    hidden = hidden_needs(session.principal, visibility)
    try:
        return service.dashboard(engine.store, start=start, end=end, city=_city(request),
                                 hidden=hidden), errors
    except ValidationError as e:
        if e.field != "city":
            raise
        errors["city"] = e.message  # 朝阳 of two pilot cities: which one — every city meanwhile
        return service.dashboard(engine.store, start=start, end=end, hidden=hidden), errors


def _cities(engine: Engine) -> list[tuple[str, str]]:
    """(id, label) of the pilot cities: 朝阳（辽宁） and 朝阳（北京） where a name is shared."""
    return Places.of(engine.store).choices()


@router.get("/programme")
def programme_dashboard(request: Request, session: Staff, engine: EngineDep,
                        visibility: VisibilityDep) -> Response:
    board, errors = _board(request, engine, session, visibility)
    query = request.url.query
    return render(request, "programme_dashboard.html", {
        "title": "项目看板", "view": dashboard_view(board), "errors": errors,
        "city": request.query_params.get("city") or "", "cities": _cities(engine),
        "export": "/programme/xlsx" + (f"?{query}" if query else ""),
        "chart_png": "/programme/png" + (f"?{query}" if query else ""), **HELPERS},
        session=session)


def _download(board: service.Dashboard, fmt: str, city: str | None) -> Response:
    with tempfile.TemporaryDirectory(prefix="techmatch-dashboard-") as tmp:
        if fmt == "xlsx":
            body = write_dashboard_xlsx(board, FsPath(tmp) / "d.xlsx").read_bytes()
        else:
            body = draw_dashboard(board, FsPath(tmp) / "d.png").read_bytes()
    name = f"programme-{city + '-' if city else ''}{board.start}-{board.end}.{fmt}"
    media = XLSX if fmt == "xlsx" else "image/png"
    return Response(body, media_type=media, headers={"Content-Disposition": attachment(name)})


@router.get("/programme/xlsx")
def programme_xlsx(request: Request, session: Staff, engine: EngineDep,
                   visibility: VisibilityDep) -> Response:
    return _download(_board(request, engine, session, visibility)[0], "xlsx", _city(request))


@router.get("/programme/png")
def programme_png(request: Request, session: Staff, engine: EngineDep,
                  visibility: VisibilityDep) -> Response:
    return _download(_board(request, engine, session, visibility)[0], "png", _city(request))


@router.get("/programme/events")
def events(request: Request, session: Staff, engine: EngineDep,
           visibility: VisibilityDep) -> Response:
    errors: dict[str, str] = {}
    start, end = date_range(request.query_params, errors)
    city = (request.query_params.get("city") or "").strip() or None
    kind = request.query_params.get("type") or None
    if kind is not None and kind not in EVENT_TYPES:
        errors["type"] = f"未知的活动类型“{kind}”"
        kind = None
    found = [redact_event(e, session.principal, visibility) for e in
             service.list_events(engine.store, city=city, type=kind, start=start, end=end)]
    today = china_today()
    return render(request, "programme_events.html", {
        "title": "活动", "events": found, "errors": errors, "cities": _cities(engine),
        "filters": {"city": city or "", "type": kind or "", "from": start, "to": end},
        "types": EVENT_TYPES, "today": today,
        "milestones": milestone_lines(service.items(engine.store, "milestone", city=city),
                                      today), **HELPERS}, session=session)


def _event(engine: Engine, event_id: str) -> Event:
    found = service.find(engine.store, "event", event_id)
    if found is None:
        raise NotFoundError(f"没有编号为 {event_id} 的活动")
    return found  # type: ignore[no-any-return]


@router.get("/programme/events/{event_id}")
def event_detail(request: Request, event_id: EventId, session: Staff, engine: EngineDep,
                 visibility: VisibilityDep) -> Response:
    event = redact_event(_event(engine, event_id), session.principal, visibility)
    done = request.query_params.get("done")
    flash = {"saved": "已保存为活动", "dockings": "邀请已转为对接"}.get(done or "", "")
    teams = {t.id: t.name for t in service.items(engine.store, "team")}
    needs = engine.store.get_many([p.need_id for p in event.participants if p.need_id])
    titles = {rid: r.display_title for rid, r in needs.items()}
    return render(request, "programme_event.html", {
        "title": f"活动 {event.id}", "event": event, "flash": flash,
        "reasons": participant_reasons(event, titles),
        "team": teams.get(event.team_id or "", event.team_id),
        "pending": pending_invitations(event), **HELPERS}, session=session)


@router.post("/programme/events/{event_id}/dockings")
def event_dockings(event_id: EventId, session: WriterPost, engine: EngineDep,
                   created_on: Annotated[str, Form(max_length=40)] = "") -> Response:
    """The invitations become dockings, created on the form's 创建日期 (blank: the event's
    date, or today when the event is ahead)."""
    service.record_dockings(engine.store, _event(engine, event_id).id,
                            actor=session.principal.actor,
                            levels=load_levels(engine.settings.home),
                            created_on=form_day(created_on, "created_on"))
    return RedirectResponse(f"/programme/events/{event_id}?done=dockings", status_code=303)


@router.post("/plans/{plan_id}/event")
def roadshow_to_event(request: Request, plan_id: PlanId, session: WriterPost,
                      engine: EngineDep,
                      event_id: Annotated[str, Form(min_length=1, max_length=128)],
                      date: Annotated[str, Form(min_length=10, max_length=10)],
                      record_dockings: Annotated[str, Form(max_length=4)] = "") -> Response:
    """A saved roadshow plan becomes an event (its invitations optionally dockings); a bad
    or taken event id or date is said on the plan page, the form keeping what was typed."""
    saved = PlanFiles(engine.settings.home).get(plan_id)
    if saved.kind != "roadshow":
        raise ValidationError("只有路演方案可以保存为活动", field="plan_id")
    errors: dict[str, str] = {}
    day = parse_date(date, "date", errors)
    problem, status, event = "", 400, None
    if day is None:
        problem = errors.get("date", "请填写路演日期")
    elif service.find(engine.store, "event", event_id) is not None:
        problem, status = f"活动编号 {event_id} 已存在，请换一个编号", 409
    else:
        plan = RoadshowPlan.model_validate(saved.plan).model_copy(update={"date": day})
        experts = {e.id: e for e in engine.store.iter_records("expert")
                   if isinstance(e, Expert)}
        try:
            event = service.roadshow_event(plan, event_id=event_id, title=saved.title,
                                           experts=experts)
        except pydantic.ValidationError:
            problem = f"活动编号“{event_id}”只能包含字母、数字、下划线、点和连字符"
    if event is None:
        return plan_page(request, saved, engine, session, event_error=problem, status=status,
                         event_values={"event_id": event_id, "date": date,
                                       "record_dockings": record_dockings})
    service.save_event(engine.store, event)
    done = "saved"
    if record_dockings == "on":
        service.record_dockings(engine.store, event.id, actor=session.principal.actor,
                                levels=load_levels(engine.settings.home))
        done = "dockings"
    return RedirectResponse(f"/programme/events/{event.id}?done={done}", status_code=303)


def _training_page(request: Request, session: StaffSession, engine: Engine,
                   values: dict[str, str], plan: service.TrainingPlan | None = None,
                   error: str = "", status: int = 200) -> Response:
    needs = open_needs(engine)
    day = values.get("date") or (china_today() + dt.timedelta(days=30)).isoformat()
    return render(request, "programme_training.html", {
        "title": "培训策划", "values": values, "plan": plan, "error": error, "day": day,
        "cities": Places.of(engine.store).need_choices(needs),  # 朝阳（辽宁） where shared
        "industries": sorted({n.industry for n in needs if n.industry}), **HELPERS},
        session=session, status_code=status)


@router.get("/programme/training")
def training_form(request: Request, session: Writer, engine: EngineDep) -> Response:
    return _training_page(request, session, engine, {"experts": "3", "invites": "10"})


@router.post("/programme/training")
def training_plan(request: Request, session: WriterPost, engine: EngineDep,
                  match: ServiceDep, city: Short = "", industry: Short = "",
                  date: Annotated[str, Form(max_length=10)] = "",
                  experts: Annotated[int, Form(ge=1, le=20)] = 3,
                  invites: Annotated[int, Form(ge=0, le=200)] = 10,
                  overseas_only: Annotated[str, Form(max_length=4)] = "") -> Response:
    values = {"city": city, "industry": industry, "date": date, "experts": str(experts),
              "invites": str(invites), "overseas_only": overseas_only}
    errors: dict[str, str] = {}
    day = parse_date(date, "date", errors)
    if errors:
        return _training_page(request, session, engine, values, error=errors["date"],
                              status=400)
    try:
        plan = service.plan_training(engine, match, city=city or None,
                                     industry=industry or None, date=day,
                                     experts_per_topic=experts, invites_per_topic=invites,
                                     overseas_only=overseas_only == "on")
    except ValidationError as e:
        if e.field != "city":
            raise
        # 朝阳 that two pilot cities share: which one
        return _training_page(request, session, engine, values,
                              error=f"无法生成方案：{e.message}", status=400)
    return _training_page(request, session, engine, values, plan=plan)


@router.post("/programme/training/save")
def training_save(session: WriterPost, engine: EngineDep,
                  topic: Annotated[str, Form(min_length=2, max_length=500_000)],
                  event_id: Annotated[str, Form(min_length=1, max_length=128)],
                  date: Annotated[str, Form(min_length=10, max_length=10)],
                  title: Short = "") -> Response:
    try:
        chosen = service.TrainingTopic.model_validate_json(topic)
        day = dt.date.fromisoformat(date)
    except (pydantic.ValidationError, ValueError):
        raise ValidationError("培训主题或日期无效，请重新生成方案后保存", field="topic") from None
    if service.find(engine.store, "event", event_id) is not None:
        raise ConflictError(f"{event_id} 已存在，请换一个编号", field="event_id")  # 活动编号：…
    try:
        event = service.training_event(chosen, event_id=event_id, date=day,
                                       title=title.strip() or None)
    except pydantic.ValidationError:
        raise ValidationError(f"“{event_id}”只能包含字母、数字、下划线、点和连字符",
                              field="event_id") from None
    service.save_event(engine.store, event)
    return RedirectResponse(f"/programme/events/{event.id}?done=saved", status_code=303)


REGISTRIES: dict[str, tuple[str, str]] = {"cities": ("city", "试点城市"),
                                          "teams": ("team", "服务团队")}


@router.get("/programme/cities")
def pilot_cities(request: Request, session: Staff, engine: EngineDep) -> Response:
    return _registry(request, session, engine, "cities")


@router.get("/programme/teams")
def teams(request: Request, session: Staff, engine: EngineDep) -> Response:
    return _registry(request, session, engine, "teams")


def _registry(request: Request, session: StaffSession, engine: Engine, name: str) -> Response:
    kind, title = REGISTRIES[name]
    found: list[Any] = service.items(engine.store, kind)
    context: dict[str, Any] = {"title": title, "kind": kind, "items": found, **HELPERS}
    if kind == "team":
        context["dispatches"] = {t.id: len(service.items(engine.store, "dispatch", ref=t.id))
                                 for t in found}
    return render(request, "programme_registry.html", context, session=session)
