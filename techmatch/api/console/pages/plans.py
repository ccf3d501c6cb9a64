"""路演策划 and 服务团派单: form → plan (Chinese reasons) → save → XLSX download."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Form, Path, Request
from starlette.responses import RedirectResponse, Response

from techmatch.api.console.deps import Writer, WriterPost, render
from techmatch.api.console.messages import error_message
from techmatch.api.console.pages.common import console_router
from techmatch.api.console.session import StaffSession
from techmatch.api.console.views.intake import field_label
from techmatch.api.console.views.plans import (
    assignment_sheets,
    no_needs_text,
    roadshow_sheets,
    why_not_questions,
)
from techmatch.api.console.views.saved_plans import PlanFiles, SavedPlan
from techmatch.api.deps import EngineDep, ServiceDep
from techmatch.errors import NotFoundError, ValidationError
from techmatch.matcher.assignment import Assignment, Constraints, WhyNot
from techmatch.matcher.engine import Engine
from techmatch.matcher.plans import open_needs, plan_city_roadshow, plan_team
from techmatch.matcher.programme.places import Places
from techmatch.matcher.roadshow import RoadshowPlan, expert_reason, invitee_reason
from techmatch.models.records import ServiceTeam
from techmatch.xlsx import write_sheets

router = console_router()
PlanId = Annotated[str, Path(max_length=40, pattern=r"^(roadshow|assign)-[0-9a-f]{12}$")]
Text = Annotated[str, Form(max_length=2000)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ids(text: str) -> list[str]:
    return [p for p in text.replace("，", ",").replace("、", ",").replace("\n", ",")
            .replace(" ", ",").split(",") if p.strip()]


def _places(engine: Engine) -> dict[str, list[str]]:
    """The dropdowns: the open needs' cities as the programme keys them (a pilot city's id
    where two share a name: 朝阳（辽宁）, 朝阳（北京）; 苏州 as before) and their industries."""
    needs = open_needs(engine)
    return {"cities": Places.of(engine.store).need_choices(needs),
            "industries": sorted({n.industry for n in needs if n.industry})}


def _roadshow_error(engine: Engine, exc: Exception, city: str, industry: str) -> str:
    if not isinstance(exc, ValidationError):
        return "日期格式应为 YYYY-MM-DD"
    if exc.field != "city":
        return f"无法生成方案：{error_message(exc, field_label)}"
    try:
        there = open_needs(engine, city=city)
    except ValidationError as unsure:  # 朝阳 that two pilot cities share: which one
        return f"无法生成方案：{error_message(unsure, field_label)}"
    return no_needs_text(city, industry, there)


def _titles(engine: Engine, ids: list[str]) -> dict[str, str]:
    found = engine.store.get_many(ids)
    return {rid: (getattr(r, "name", "") or r.display_title) for rid, r in found.items()}


@router.get("/plans/roadshow")
def roadshow_form(request: Request, session: Writer, engine: EngineDep) -> Response:
    return render(request, "roadshow.html", {
        "title": "路演策划", "values": {"slots": "3", "invites": "5"}, "error": "",
        "saved": PlanFiles(engine.settings.home).recent("roadshow"), **_places(engine)},
        session=session)


@router.post("/plans/roadshow")
def roadshow(request: Request, session: WriterPost, engine: EngineDep, service: ServiceDep,
             city: Annotated[str, Form(min_length=1, max_length=200)],
             slots: Annotated[int, Form(ge=1, le=100)],
             invites: Annotated[int, Form(ge=0, le=100)] = 5,
             industry: Annotated[str, Form(max_length=200)] = "",
             date: Annotated[str, Form(max_length=10)] = "",
             prefer_province: Annotated[str, Form(max_length=4)] = "") -> Response:
    values = {"city": city, "industry": industry, "slots": str(slots), "invites": str(invites),
              "date": date, "prefer_province": prefer_province}
    try:
        day = dt.date.fromisoformat(date) if date else None
        plan = plan_city_roadshow(engine, service, city=city, industry=industry or None,
                                  slots=slots, invites_per_achievement=invites, date=day,
                                  prefer_province=prefer_province == "on")
    except (ValidationError, ValueError) as exc:
        message = _roadshow_error(engine, exc, city, industry)
        return render(request, "roadshow.html", {
            "title": "路演策划", "values": values, "error": message,
            "saved": PlanFiles(engine.settings.home).recent("roadshow"), **_places(engine)},
            session=session, status_code=400)
    saved = PlanFiles(engine.settings.home).add(
        "roadshow", title=f"{city}{' · ' + industry if industry else ''} 技术路演",
        params=values, plan=plan.model_dump(mode="json"), actor=session.principal.actor)
    return RedirectResponse(f"/plans/{saved.id}", status_code=303)


@router.get("/plans/assign")
def assign_form(request: Request, session: Writer, engine: EngineDep) -> Response:
    return render(request, "assign.html", {
        "title": "服务团派单", "values": {"min": "1", "max": "2"}, "error": "",
        "saved": PlanFiles(engine.settings.home).recent("assign")}, session=session)


def _check_assign_form(needs: str, city: str, industry: str, low: int, high: int) -> None:
    """The form's own checks, named by the form's fields (the planner would name team.needs
    and the page's internal team id, or only say that pydantic refused the limits)."""
    if not (_ids(needs) or city.strip() or industry.strip()):
        raise ValidationError("请填写需求编号，或填写城市或行业以服务其全部待匹配需求",
                              field="needs")
    if low > high:
        raise ValidationError(f"每需求最少专家数（{low}）不能大于最多专家数（{high}）")


@router.post("/plans/assign")
def assign(request: Request, session: WriterPost, engine: EngineDep, service: ServiceDep,
           name: Annotated[str, Form(min_length=1, max_length=200)],
           experts: Text, needs: Text = "", city: Annotated[str, Form(max_length=200)] = "",
           industry: Annotated[str, Form(max_length=200)] = "",
           min_experts: Annotated[int, Form(alias="min", ge=0, le=20)] = 1,
           max_experts: Annotated[int, Form(alias="max", ge=0, le=20)] = 2,
           same_province: Annotated[str, Form(max_length=4)] = "",
           objective: Annotated[Literal["total", "fairness"], Form()] = "total",
           why_not: Text = "") -> Response:
    values = {"name": name, "experts": experts, "needs": needs, "city": city,
              "industry": industry, "min": str(min_experts), "max": str(max_experts),
              "same_province": same_province, "objective": objective, "why_not": why_not}
    try:
        _check_assign_form(needs, city, industry, min_experts, max_experts)
        team = ServiceTeam(id="console", name=name, city=city or None,
                           industry=industry or None, experts=_ids(experts), needs=_ids(needs))
        constraints = Constraints(min_experts_per_need=min_experts,
                                  max_experts_per_need=max_experts,
                                  same_province=same_province == "on")
        plan = plan_team(engine, service, team=team, constraints=constraints,
                         objective=objective)
        questions = why_not_questions(why_not, plan.problem.need_ids, plan.problem.expert_ids)
    except (ValidationError, NotFoundError, ValueError) as exc:  # a mistyped id: NotFound
        return render(request, "assign.html", {
            "title": "服务团派单", "values": values,
            "error": "无法生成方案：" + (error_message(exc, field_label)
                                      if isinstance(exc, ValidationError | NotFoundError)
                                      else "参数无效，请检查专家数与容量设置"),
            "saved": PlanFiles(engine.settings.home).recent("assign")},
            session=session, status_code=400)
    answers = plan.why_not(questions)
    names = {n.id: n.display_title for n in plan.problem.needs}
    names.update({e.id: e.name for e in plan.problem.experts})
    saved = PlanFiles(engine.settings.home).add(
        "assign", title=f"{name} 派单", params=values,
        plan=plan.assignment.model_dump(mode="json"), actor=session.principal.actor,
        extra={"why_not": [w.model_dump(mode="json") for w in answers], "names": names})
    return RedirectResponse(f"/plans/{saved.id}", status_code=303)


def _view(saved: SavedPlan, engine: Engine) -> dict[str, Any]:
    if saved.kind == "roadshow":
        plan = RoadshowPlan.model_validate(saved.plan)
        ids = [v.need_id for i in plan.items for v in i.invitees]
        titles = _titles(engine, ids)
        return {"plan": plan, "titles": titles, "invitee_reason": invitee_reason,
                "expert_reason": expert_reason}
    assignment = Assignment.model_validate(saved.plan)
    answers = [WhyNot.model_validate(w) for w in saved.extra.get("why_not", [])]
    return {"plan": assignment, "names": saved.extra.get("names", {}), "answers": answers}


def plan_page(request: Request, saved: SavedPlan, engine: Engine, session: StaffSession, *,
              flash: str = "", status: int = 200, **extra: Any) -> Response:
    """A saved plan's page (`extra`: e.g. the 保存为活动 form's error and values)."""
    return render(request, f"{saved.kind}_plan.html", {
        "title": saved.title, "saved": saved, "flash": flash, "event_error": "",
        "event_values": {}, **_view(saved, engine), **extra},
        session=session, status_code=status)


@router.get("/plans/{plan_id}")
def show_plan(request: Request, plan_id: PlanId, session: Writer,
              engine: EngineDep) -> Response:
    saved = PlanFiles(engine.settings.home).get(plan_id)
    flash = "方案已保存" if request.query_params.get("done") == "saved" else ""
    return plan_page(request, saved, engine, session, flash=flash)


@router.post("/plans/{plan_id}/save")
def keep_plan(plan_id: PlanId, session: WriterPost, engine: EngineDep) -> Response:
    PlanFiles(engine.settings.home).keep(plan_id)
    return RedirectResponse(f"/plans/{plan_id}?done=saved", status_code=303)


@router.get("/plans/{plan_id}/xlsx")
def plan_xlsx(plan_id: PlanId, session: Writer, engine: EngineDep) -> Response:
    saved = PlanFiles(engine.settings.home).get(plan_id)
    view = _view(saved, engine)
    sheets = (roadshow_sheets(view["plan"], view["titles"]) if saved.kind == "roadshow"
              else assignment_sheets(view["plan"], view["names"], view["answers"]))
    with tempfile.TemporaryDirectory(prefix="techmatch-xlsx-") as tmp:
        path = FsPath(tmp) / "plan.xlsx"
        write_sheets(path, sheets)
        body = path.read_bytes()
    filename = f"{saved.title}.xlsx"
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{saved.id}.xlsx\"; "
                               f"filename*=UTF-8''{quote(filename)}"})
