"""Programme registries, targets, milestones, the industry taxonomy and spreadsheet imports."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, File, Path, Query, UploadFile
from pydantic import BaseModel, Field

from techmatch.api.deps import Admin, EngineDep, Reader, VisibilityDep, Writer
from techmatch.api.errors import problem_responses
from techmatch.api.security import Principal
from techmatch.api.visibility import Visibility
from techmatch.errors import ValidationError
from techmatch.indexers.ingest.readers import upload_limits
from techmatch.matcher import programme as service
from techmatch.matcher.programme.redact import redact, redact_dispatch
from techmatch.matcher.programme.registry import check_kind
from techmatch.matcher.programme.targets import OverdueMilestone, refuse_shared_names
from techmatch.models.industries import load_taxonomy
from techmatch.models.programme import Dispatch, Event, PilotCity, Target, china_today
from techmatch.models.records import Need
from techmatch.models.validation_zh import message_zh
from techmatch.store import Store

router = APIRouter(prefix="/v1/programme", tags=["programme"],
                   responses=problem_responses(401, 403, 404, 413, 422, 503))

KindPath = Annotated[str, Path(description="登记类别：city / organisation / team / dispatch / "
                                           "workstation / order / event / milestone")]
ItemId = Annotated[str, Path(min_length=1, max_length=128, description="编号")]
MAX_ITEMS = 2_000
_SAFE_NAME = re.compile(r"[^\w.\-]+")


def redact_event(event: Event, principal: Principal, visibility: Visibility) -> Event:
    """For read keys: invitations of confidential needs lose enterprise, need and reason, and
    an event that involves one loses its topic, title and plan (techmatch.matcher.programme.
    redact)."""
    if principal.sees_confidential:
        return event
    return redact(event, visibility.confidential_ids())


def hidden_needs(principal: Principal, visibility: Visibility) -> frozenset[str]:
    """The need ids `principal` may not see (none for keys that see confidential needs)."""
    return frozenset() if principal.sees_confidential else visibility.confidential_ids()


def _public(item: Any, principal: Principal, visibility: Visibility,
            store: Store) -> dict[str, Any]:
    if isinstance(item, Event):
        item = redact_event(item, principal, visibility)
    if isinstance(item, Dispatch) and (hidden := set(item.need_ids)
                                       & hidden_needs(principal, visibility)):
        firms = {n.enterprise for n in store.get_many(hidden).values()
                 if isinstance(n, Need) and n.enterprise}
        item = redact_dispatch(item, hidden, firms)
    if isinstance(item, PilotCity) and not principal.sees_confidential:  # contact fields
        item = item.model_copy(update={"contacts": [
            c.model_copy(update={"phone": None, "email": None}) for c in item.contacts]})
    return item.model_dump(mode="json")  # type: ignore[no-any-return]


class TaxonomyNode(BaseModel):
    code: str
    name: str
    level: int
    parent: str | None
    synonyms: list[str]
    gbt4754: list[dict[str, str]]
    children: list[str]


class TaxonomyOut(BaseModel):
    """战略性新兴产业分类（2018）树、同义词与平台原有标签映射。"""

    version: str
    source: str
    nodes: list[TaxonomyNode]
    legacy_labels: list[dict[str, str]]


class Resolved(BaseModel):
    text: str
    code: str | None
    name: str | None
    how: str = Field(description="exact / contained / unmapped")
    path: str | None = None


@router.get("/taxonomy", response_model=TaxonomyOut, summary="产业分类树")
def taxonomy(principal: Reader) -> TaxonomyOut:
    tax = load_taxonomy()
    return TaxonomyOut(version=tax.version, source=tax.source,
                       nodes=[TaxonomyNode.model_validate(n.as_dict())
                              for n in tax.iter_nodes()],
                       legacy_labels=[{"label": x.label, "code": x.code, "note": x.note}
                                      for x in tax.legacy])


@router.get("/taxonomy/resolve", response_model=Resolved, summary="行业文本映射到分类")
def resolve(principal: Reader,
            text: Annotated[str, Query(min_length=1, max_length=200, description="行业文本")]
            ) -> Resolved:
    tax = load_taxonomy()
    m = tax.map_text(text)
    return Resolved(text=text, code=m.code, name=m.name, how=m.how,
                    path=tax.path(m.code) if m.code else None)


@router.get("/targets", response_model=list[Target], summary="年度目标")
def get_targets(principal: Reader, engine: EngineDep,
                year: Annotated[list[Annotated[int, Field(ge=2000, le=2100)]] | None,
                                Query(max_length=50, description="年度")] = None,
                city: Annotated[str | None, Query(max_length=100)] = None) -> list[Target]:
    return service.list_targets(engine.store, years=year or [], city=city)


@router.delete("/targets", status_code=204, summary="删除一个年度目标",
               description="需要 admin 权限；城市任何写法（蘇州即苏州），指标为代码或中文名。",
               responses=problem_responses(404))
def delete_target(principal: Admin, engine: EngineDep,
                  year: Annotated[int, Query(ge=2000, le=2100, description="年度")],
                  city: Annotated[str, Query(min_length=1, max_length=100,
                                             description="城市（全国为全国目标）")],
                  metric: Annotated[str, Query(min_length=1, max_length=100,
                                               description="指标代码或中文名")]) -> None:
    service.delete_target(engine.store, year=year, city=city, metric=metric)


@router.put("/targets", response_model=list[Target], summary="设置年度目标（同年同城同指标覆盖）",
            description="需要 write 权限；城市为“全国”表示全国目标；试点城市的任何写法"
                        "（朝陽(遼寧省)）按其编号（朝阳（辽宁））保存并返回；几个试点城市同名而"
                        "没写省份时 422。", responses=problem_responses(422))
def put_targets(principal: Writer, body: Annotated[list[Target], Field(max_length=MAX_ITEMS)],
                engine: EngineDep) -> list[Target]:
    refuse_shared_names(engine.store, body, field="body")
    return service.set_targets(engine.store, body)


@router.get("/milestones/overdue", response_model=list[OverdueMilestone], summary="超期节点")
def overdue(principal: Reader, engine: EngineDep,
            today: Annotated[dt.date | None, Query(description="统计日，默认北京时间今天")] = None,
            city: Annotated[str | None, Query(max_length=100)] = None
            ) -> list[OverdueMilestone]:
    return service.overdue_milestones(engine.store, today=today or china_today(), city=city)


@router.post("/import/{kind}", response_model=dict[str, Any],
             summary="从表格导入登记记录或目标（CSV / XLSX / JSONL）",
             description="中文或英文表头；合格行一次写入，不合格行逐行报告（行号、字段、原因）。"
                         "kind 另可为 target（年度目标）。需要 write 权限。",
             responses=problem_responses(400))
def import_rows(principal: Writer, kind: KindPath, engine: EngineDep,
                file: Annotated[UploadFile, File(description="表格文件")]) -> dict[str, Any]:
    name = _SAFE_NAME.sub("_", FsPath(file.filename or "upload.csv").name) or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="techmatch-programme-") as tmp:
        path = FsPath(tmp) / name
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        with upload_limits(engine.settings):
            report = service.import_file(engine.store, kind, path, name=name)
    return report.as_dict()


@router.get("/{kind}", response_model=list[dict[str, Any]], summary="登记记录列表")
def list_items(principal: Reader, kind: KindPath, engine: EngineDep, visibility: VisibilityDep,
               city: Annotated[str | None, Query(max_length=100)] = None,
               ref: Annotated[str | None, Query(
                   max_length=128, description="派出/活动的团队，工作站的专家")] = None,
               start: Annotated[dt.date | None, Query(description="起始日期（含）")] = None,
               end: Annotated[dt.date | None, Query(description="截止日期（含）")] = None,
               overseas: Annotated[bool | None, Query(
                   description="海外专项：机构、团队、活动按海外标记筛选")] = None
               ) -> list[dict[str, Any]]:
    if start is not None and end is not None and end < start:  # was 200 [] (read as "none")
        raise ValidationError(f"结束日期（{end}）早于开始日期（{start}）", field="end")
    found = service.items(engine.store, kind, city=city, ref=ref, start=start, end=end,
                          overseas=overseas)
    return [_public(i, principal, visibility, engine.store) for i in found]


@router.get("/{kind}/{item_id}", response_model=dict[str, Any], summary="一条登记记录")
def get_item(principal: Reader, kind: KindPath, item_id: ItemId, engine: EngineDep,
             visibility: VisibilityDep) -> dict[str, Any]:
    return _public(service.get(engine.store, kind, item_id), principal, visibility,
                   engine.store)


@router.put("/{kind}", response_model=dict[str, list[str]], summary="新增或更新登记记录",
            description="请求体为记录数组；同编号覆盖。需要 write 权限。")
def put_items(principal: Writer, kind: KindPath, engine: EngineDep,
              body: Annotated[list[dict[str, Any]], Field(max_length=MAX_ITEMS)]
              ) -> dict[str, list[str]]:
    model = check_kind(kind)
    parsed = []
    for i, raw in enumerate(body):
        try:
            parsed.append(model.model_validate(raw))
        except pydantic.ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in ("body", i, *err["loc"]))
            raise ValidationError(message_zh(err, where), field=where) from None
    report = service.save(engine.store, kind, parsed)
    return {"created": report.created, "updated": report.updated}


@router.delete("/{kind}/{item_id}", status_code=204, summary="删除登记记录",
               description="需要 admin 权限。")
def delete_item(principal: Admin, kind: KindPath, item_id: ItemId, engine: EngineDep) -> None:
    service.remove(engine.store, kind, item_id)
