"""Dockings (对接跟踪): create, move, reassign, list with filters, get, history, import.

Read keys list and read dockings of non-confidential needs only; write keys create, move and
reassign; an admin key may also reopen (dropped → an open stage, completed → signed, signed →
negotiating). History has no write route: it is appended by moves only.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile
from pydantic import BeforeValidator, ConfigDict, Field

from techmatch.api.deps import EngineDep, PageDep, Reader, ServiceDep, VisibilityDep, Writer
from techmatch.api.errors import problem_responses
from techmatch.api.schemas import Page
from techmatch.errors import RowsRejectedError, no_such
from techmatch.indexers.ingest.readers import upload_limits
from techmatch.matcher.batch.live import refresh_needs
from techmatch.matcher.dockings import (
    Assign,
    DockingFilters,
    Move,
    NewDocking,
    assign_docking,
    create_docking,
    docking_history,
    get_docking,
    list_dockings,
    load_levels,
    move_docking,
    view,
)
from techmatch.matcher.dockings.importer import ImportReport, import_dockings
from techmatch.models.dockings import (
    ContractTerms,
    DockingView,
    HistoryView,
    Reason,
    Source,
    Stage,
)
from techmatch.models.records import fold_id
from techmatch.models.strict import NumbersNotBooleans

router = APIRouter(prefix="/v1/dockings", tags=["dockings"],
                   responses=problem_responses(401, 403, 404, 413, 422, 503))

ID = r"^[\w.\-:/]+$"
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[\w\-]+$",
                             description="对接记录 id")]
IdQuery = Annotated[str | None, Query(min_length=1, max_length=128, pattern=ID)]
NameQuery = Annotated[str | None, Query(min_length=1, max_length=100)]
_SAFE_NAME = re.compile(r"[^\w.\-]+")


class DockingCreate(NumbersNotBooleans):
    """从任一推荐（检索、匹配、批量、路演邀请、服务团分配）或人工新建一条对接记录。"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"need_id": "N001", "candidate_id": "A001", "source": "match", "rank": 1,
                      "confidence": 0.82, "owner": "张三", "team": "T01"}]})

    need_id: Annotated[str, BeforeValidator(fold_id), Field(min_length=1, max_length=128,
                                                            pattern=ID)]
    candidate_id: Annotated[str, BeforeValidator(fold_id), Field(min_length=1, max_length=128,
                                                                 pattern=ID)]
    source: Source = Field(default="manual", description="来源：search/match/batch/roadshow/"
                                                         "team_plan/manual/import/feedback")
    rank: int | None = Field(default=None, ge=1, description="推荐时的名次")
    confidence: float | None = Field(default=None, ge=0, le=1, description="推荐时的置信度")
    owner: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(default=None,
                                                                description="负责人")
    team: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(default=None,
                                                               description="服务团/队")
    note: Annotated[str, Field(max_length=2000)] | None = None
    created_on: dt.date | None = Field(
        default=None, description="创建日期（北京时间日期）：补录以前开始的对接时填写，不得晚于"
                                  "今天；不填为今天。签约日期不得早于此日；历史记录注明实际录入时间")


class MoveRequest(NumbersNotBooleans):
    """推进（或终止、管理员重开）一条对接；version 为读取时的版本，过期返回 409。"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"to": "signed", "version": 5, "contract": {
            "contract_type": "license", "value_wan": 120, "signed_on": "2026-11-20"}},
            {"to": "dropped", "version": 2, "reason": "not_relevant", "never_suggest": True}]})

    to: Stage = Field(description="目标阶段")
    version: int = Field(ge=1, description="读取时的版本号")
    reason: Reason | None = Field(default=None, description="终止原因（终止时必填）")
    reason_note: Annotated[str, Field(max_length=2000)] | None = Field(
        default=None, description="原因说明（原因为 other 时必填）")
    never_suggest: bool = Field(default=False, description="终止后不再推荐该对")
    contract: ContractTerms | None = Field(
        default=None, description="签约时必填：合同类型、金额（万元）；签约日期（合同签订日，"
                                  "北京时间日期）可不填，默认记录当天；不得晚于今天或早于对接"
                                  "创建日。签约数与签约金额按签约日期计入统计期")
    note: Annotated[str, Field(max_length=2000)] | None = None
    keep_open: bool | None = Field(default=None, description="验收后需求仍保持开放")


class AssignRequest(NumbersNotBooleans):
    """变更负责人、服务团或“验收后保持开放”；不改变阶段，但记入历史。version 为读取时的版本。"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"version": 3, "owner": "李四", "team": "T02"}]})

    version: int = Field(ge=1, description="读取时的版本号")
    owner: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    team: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    keep_open: bool | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


def _visible(engine: EngineDep, visibility: VisibilityDep, principal: Reader,
             docking_id: str) -> None:
    docking = get_docking(engine.store, docking_id)
    if visibility.hide_pairs([docking.need_id], principal):
        raise no_such("docking", docking_id)


@router.post("", status_code=201, response_model=DockingView, summary="新建对接记录",
             description="记录来源及推荐时的名次与置信度；同一需求与候选只有一条对接。"
                         "需要 write 权限。", responses=problem_responses(409))
def create(principal: Writer, body: DockingCreate, engine: EngineDep) -> DockingView:
    spec = NewDocking(need_id=body.need_id, candidate_id=body.candidate_id, source=body.source,
                      rank=body.rank, confidence=body.confidence, owner=body.owner,
                      team=body.team, note=body.note, created_on=body.created_on)
    docking = create_docking(engine.store, spec, actor=principal.actor,
                             levels=load_levels(engine.settings.home))
    return view(docking, admin=principal.allows("admin"))


@router.get("", response_model=Page[DockingView], summary="列出对接记录",
            description="按创建时间倒序；可按需求、候选、阶段、负责人、服务团、来源筛选，"
                        "overdue=true 只列超期的。只读密钥看不到保密需求的对接。")
def list_all(principal: Reader, engine: EngineDep, visibility: VisibilityDep, page: PageDep,
             need_id: IdQuery = None, candidate_id: IdQuery = None,
             stage: Annotated[list[Stage] | None, Query(description="阶段（可多选）")] = None,
             owner: NameQuery = None, team: NameQuery = None, source: Source | None = None,
             overdue: Annotated[bool, Query(description="只列超期未推进的")] = False,
             ) -> dict[str, object]:
    hidden = frozenset() if principal.sees_confidential else visibility.confidential_ids()
    filters = DockingFilters(need_id=need_id, candidate_id=candidate_id,
                             stages=tuple(stage or ()), owner=owner, team=team, source=source,
                             overdue=overdue)
    items, total = list_dockings(engine.store, filters, offset=page.offset, limit=page.limit,
                                 hidden_needs=hidden, admin=principal.allows("admin"))
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": items}


@router.get("/{docking_id}", response_model=DockingView, summary="查看一条对接记录")
def get_one(principal: Reader, docking_id: IdPath, engine: EngineDep,
            visibility: VisibilityDep) -> DockingView:
    _visible(engine, visibility, principal, docking_id)
    return view(get_docking(engine.store, docking_id), admin=principal.allows("admin"))


@router.get("/{docking_id}/history", response_model=list[HistoryView],
            summary="对接记录的历史（只追加，不可修改）")
def history(principal: Reader, docking_id: IdPath, engine: EngineDep,
            visibility: VisibilityDep) -> list[HistoryView]:
    _visible(engine, visibility, principal, docking_id)
    return docking_history(engine.store, docking_id)


@router.post("/{docking_id}/moves", response_model=DockingView, summary="推进、终止或重开对接",
             description="按允许的阶段转换表推进；不允许的转换返回 422（列出允许的目标阶段），"
                         "版本过期返回 409（给出当前阶段）。重开需要 admin 权限。",
             responses=problem_responses(409))
def move(principal: Writer, docking_id: IdPath, body: MoveRequest,
         engine: EngineDep, service: ServiceDep) -> DockingView:
    change = Move(to=body.to, version=body.version, reason=body.reason,
                  reason_note=body.reason_note, never_suggest=body.never_suggest,
                  contract=body.contract, note=body.note, keep_open=body.keep_open)
    admin = principal.allows("admin")
    docking = move_docking(engine.store, docking_id, change, actor=principal.actor,
                           admin=admin, levels=load_levels(engine.settings.home))
    refresh_needs(service, [docking.need_id])  # a drop or reopen changes its matches
    return view(docking, admin=admin)


@router.patch("/{docking_id}", response_model=DockingView, summary="变更负责人或服务团",
              responses=problem_responses(409))
def reassign(principal: Writer, docking_id: IdPath, body: AssignRequest,
             engine: EngineDep, service: ServiceDep) -> DockingView:
    docking = assign_docking(engine.store, docking_id,
                             Assign(version=body.version, owner=body.owner, team=body.team,
                                    keep_open=body.keep_open, note=body.note),
                             actor=principal.actor)
    refresh_needs(service, [docking.need_id])  # 验收后保持开放 may reopen the need
    return view(docking, admin=principal.allows("admin"))


@router.post("/import", response_model=ImportReport, summary="从表格导入对接记录（CSV / XLSX）",
             description="每行一条对接（中文或英文表头）；合格行在一个事务中写入，"
                         "不合格行逐行报告（行号、字段、原因）；所有行都不合格时返回 422。"
                         "需要 write 权限。",
             responses=problem_responses(400))  # 400: broken multipart
def import_file(principal: Writer, file: Annotated[UploadFile, File(description="表格文件")],
                engine: EngineDep, service: ServiceDep) -> ImportReport:
    name = _SAFE_NAME.sub("_", FsPath(file.filename or "upload.csv").name) or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="techmatch-dockings-") as tmp:
        path = FsPath(tmp) / name
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        with upload_limits(engine.settings):
            report = import_dockings(engine.store, path, actor=principal.actor,
                                     levels=load_levels(engine.settings.home), name=name)
    if report.rejected and not report.imported:  # as the records upload and the CLI (exit 2)
        raise RowsRejectedError(f"所有行都被拒绝（{report.read} 行中 {report.rejected} 行），"
                                f"没有存入任何记录", source=name,
                                rows=[(e.row, e.field, e.message) for e in report.errors])
    refresh_needs(service, {get_docking(engine.store, i).need_id for i in report.ids})
    return report.model_copy(update={"file": name})

