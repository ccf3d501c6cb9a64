"""Programme events (roadshow → event → dockings, outcomes), the training planner and the KPI
dashboard (JSON, XLSX, PNG)."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from techmatch.api.deps import EngineDep, Reader, ServiceDep, VisibilityDep, Writer
from techmatch.api.errors import problem_responses
from techmatch.api.routers.programme import hidden_needs
from techmatch.matcher import programme as service
from techmatch.matcher.dockings import load_levels
from techmatch.matcher.plans import plan_city_roadshow
from techmatch.matcher.programme.events import DockingLink
from techmatch.matcher.programme.exports import draw_dashboard, write_dashboard_xlsx
from techmatch.models.programme import Event, EventStatus
from techmatch.models.records import Expert, RecordId
from techmatch.models.strict import NumbersNotBooleans

router = APIRouter(prefix="/v1/programme", tags=["programme"],
                   responses=problem_responses(401, 403, 404, 413, 422, 503))

EventId = Annotated[str, Path(min_length=1, max_length=128, description="活动编号")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RoadshowEventRequest(NumbersNotBooleans):
    """规划技术路演并保存为活动；可同时把邀请转为对接。"""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "event_id": "RS-SZ-01", "city": "深圳", "industry": "新能源汽车产业", "slots": 2,
        "date": "2026-03-15", "team_id": "T02", "record_dockings": True}]})

    event_id: RecordId = Field(description="活动编号")
    city: Name = Field(description="路演城市")
    industry: Name | None = Field(default=None, description="行业（按产业分类向下包含）")
    slots: int = Field(ge=1, le=100, description="路演成果数")
    invites_per_achievement: int = Field(default=5, ge=0, le=100)
    date: dt.date = Field(description="路演日期")
    title: Name | None = None
    team_id: RecordId | None = None
    organiser: Name | None = None
    overseas: bool = Field(default=False, description="海外人才中国行：只取海外专家的成果与主讲")
    prefer_province: bool = False
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    record_dockings: bool = Field(default=False, description="同时把每个邀请转为一条对接")


class RoadshowEventOut(BaseModel):
    event: Event
    dockings: list[DockingLink]


class EventDockingsRequest(NumbersNotBooleans):
    """把活动邀请转为对接：创建日期默认为活动日期。"""

    model_config = ConfigDict(extra="forbid")

    created_on: dt.date | None = Field(
        default=None, description="对接的创建日期（北京时间日期，不得晚于今天）；不填为活动日期"
                                  "（活动在今天之后则为今天）")


class OutcomeRequest(NumbersNotBooleans):
    model_config = ConfigDict(extra="forbid")

    status: EventStatus | None = None
    attendance: int | None = Field(default=None, ge=0, le=1_000_000)
    notes: Annotated[str, Field(max_length=5_000)] | None = None
    attended: list[RecordId] = Field(default_factory=list, max_length=2_000,
                                     description="到场企业的需求编号")


class TrainingRequest(NumbersNotBooleans):
    """按城市 × 行业聚类未满足需求，提出培训主题、授课专家与受邀企业。"""

    model_config = ConfigDict(extra="forbid")

    city: Name | None = None
    industry: Name | None = None
    date: dt.date | None = Field(default=None, description="拟办日期（排除当天已有安排的专家）")
    experts_per_topic: int = Field(default=3, ge=1, le=20)
    invites_per_topic: int = Field(default=10, ge=0, le=200)
    min_needs: int = Field(default=1, ge=1, le=100)
    overseas_only: bool = Field(default=False, description="只请海外专家")


class TrainingEventRequest(NumbersNotBooleans):
    model_config = ConfigDict(extra="forbid")

    topic: service.TrainingTopic
    event_id: RecordId
    date: dt.date
    title: Name | None = None
    team_id: RecordId | None = None
    organiser: Name | None = None


@router.post("/events/roadshow", response_model=RoadshowEventOut, summary="路演方案保存为活动",
             description="规划路演（同 /v1/plans/roadshow），保存为活动；record_dockings 为真时"
                         "每个邀请转为一条对接（来源：路演邀请）。需要 write 权限。")
def roadshow_event(principal: Writer, body: RoadshowEventRequest, engine: EngineDep,
                   match: ServiceDep) -> RoadshowEventOut:
    plan = plan_city_roadshow(engine, match, city=body.city, industry=body.industry,
                              slots=body.slots,
                              invites_per_achievement=body.invites_per_achievement,
                              date=body.date, prefer_province=body.prefer_province,
                              min_score=body.min_score, overseas=body.overseas)
    experts = {e.id: e for e in engine.store.iter_records("expert") if isinstance(e, Expert)}
    event = service.save_event(engine.store, service.roadshow_event(
        plan, event_id=body.event_id, title=body.title, team_id=body.team_id,
        organiser=body.organiser, overseas=body.overseas, experts=experts))
    links = (service.record_dockings(engine.store, event.id, actor=principal.actor,
                                     levels=load_levels(engine.settings.home))
             if body.record_dockings else [])
    return RoadshowEventOut(event=service.get(engine.store, "event", event.id), dockings=links)


@router.post("/events/{event_id}/dockings", response_model=list[DockingLink],
             summary="活动邀请转为对接",
             description="已有对接的邀请只关联，不重复创建。新对接的创建日期为活动日期（活动在今天"
                         "之后则为今天），或请求体的 created_on（不得晚于今天）。需要 write 权限。")
def event_dockings(principal: Writer, event_id: EventId, engine: EngineDep,
                   body: EventDockingsRequest | None = None) -> list[DockingLink]:
    return service.record_dockings(engine.store, event_id, actor=principal.actor,
                                   levels=load_levels(engine.settings.home),
                                   created_on=body.created_on if body else None)


@router.post("/events/{event_id}/outcome", response_model=Event, summary="记录活动结果",
             description="状态（已举办/取消）、到场人数、备注、到场企业。需要 write 权限。")
def event_outcome(principal: Writer, event_id: EventId, body: OutcomeRequest,
                  engine: EngineDep) -> Event:
    return service.set_outcome(engine.store, event_id, status=body.status,
                               attendance=body.attendance, notes=body.notes,
                               attended=body.attended)


@router.post("/training/plan", response_model=service.TrainingPlan, summary="培训规划",
             description="需要 write 权限（要计算全部未满足需求的匹配）。")
def training_plan(principal: Writer, body: TrainingRequest, engine: EngineDep,
                  match: ServiceDep) -> service.TrainingPlan:
    return service.plan_training(engine, match, city=body.city, industry=body.industry,
                                 date=body.date, experts_per_topic=body.experts_per_topic,
                                 invites_per_topic=body.invites_per_topic,
                                 min_needs=body.min_needs, overseas_only=body.overseas_only)


@router.post("/training/events", response_model=Event, summary="培训主题保存为活动",
             description="需要 write 权限。")
def training_event(principal: Writer, body: TrainingEventRequest, engine: EngineDep) -> Event:
    event = service.training_event(body.topic, event_id=body.event_id, date=body.date,
                                   title=body.title, team_id=body.team_id,
                                   organiser=body.organiser)
    return service.save_event(engine.store, event)


@router.get("/dashboard", summary="绩效看板：实际 vs 目标（城市、行业、团队、全国汇总）",
            response_model=service.Dashboard,
            responses={200: {"content": {XLSX: {}, "image/png": {}}}},
            description="format=json（默认，英文代码旁附中文名称）、xlsx（中文表头）"
                        "或 png（图表）。")
def dashboard(principal: Reader, engine: EngineDep, visibility: VisibilityDep,
              start: Annotated[dt.date, Query(description="起始日期（含）")],
              end: Annotated[dt.date, Query(description="截止日期（含）")],
              city: Annotated[str | None, Query(max_length=100)] = None,
              today: Annotated[dt.date | None,
                               Query(description="统计日，默认北京时间今天")] = None,
              format: Annotated[Literal["json", "xlsx", "png"], Query()] = "json",
              ) -> service.Dashboard | Response:
    board = service.dashboard(engine.store, start=start, end=end, city=city, today=today,
                              hidden=hidden_needs(principal, visibility))
    if format == "json":
        return board
    with tempfile.TemporaryDirectory(prefix="techmatch-dashboard-") as tmp:
        if format == "xlsx":
            data = write_dashboard_xlsx(board, FsPath(tmp) / "dashboard.xlsx").read_bytes()
            media = XLSX
        else:
            data = draw_dashboard(board, FsPath(tmp) / "dashboard.png").read_bytes()
            media = "image/png"
    name = f"dashboard-{city + '-' if city else ''}{start}-{end}.{format}"
    return Response(data, media_type=media, headers={"Content-Disposition": attachment(name)})


def attachment(name: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients, the real (Chinese) one as `filename*`
    (a city's board is named after the city, so two cities' downloads do not collide)."""
    fallback = re.sub(r"[^A-Za-z0-9.\-]+", "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"

