"""Records: upsert (single, batch), get, delete, list with filters, file upload — per kind.

Writes commit to the store (the truth) immediately; the index of the kind follows in the
background (`IndexSyncer`), or before the response when the caller passes `wait=true`.
"""

# No `from __future__ import annotations` here: the routes are built in a loop per kind and
# FastAPI must see the evaluated body types of those closures.

import inspect
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path as FsPath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, create_model

from techmatch.api.deps import (
    EngineDep,
    PageDep,
    Reader,
    ServiceDep,
    SyncerDep,
    VisibilityDep,
    Writer,
    get_state,
)
from techmatch.api.errors import problem_responses
from techmatch.api.limits import MAX_BATCH
from techmatch.api.schemas import (
    AchievementCreate,
    AchievementPublic,
    BatchResult,
    DeleteResult,
    ExpertCreate,
    ExpertPublic,
    IndexLag,
    IndexState,
    NeedCreate,
    NeedPublic,
    Page,
    WriteResult,
)
from techmatch.api.search_filters import CODED_FILTERS
from techmatch.api.syncer import IndexSyncer
from techmatch.api.visibility import LIST_FILTERS
from techmatch.errors import IngestError, RowsRejectedError, ValidationError, no_such
from techmatch.indexers.ingest.kind_check import forcing_hint
from techmatch.indexers.ingest.load import ingest_files
from techmatch.indexers.ingest.readers import upload_limits
from techmatch.matcher.batch.live import refresh_needs
from techmatch.matcher.dockings.deletion import delete_record
from techmatch.matcher.dockings.effects import sync_needs
from techmatch.matcher.engine import Engine
from techmatch.models.records import Need, fold_id
from techmatch.store import Store, UpsertReport

ID_PATTERN = r"^[\w.\-:/]+$"
# wait=true that runs out: stored, not yet searchable; the body says how far the index is behind
ACCEPTED: dict[int | str, dict[str, object]] = {202: {
    "description": "已写入存储；wait=true 的等待已到上限而索引尚未应用本次写入，"
                   "index.lag 给出落后的记录数与秒数"}}
_SAFE_NAME = re.compile(r"[^\w.\-]+")

router = APIRouter(prefix="/v1", responses=problem_responses(401, 403, 404, 413, 422, 503))

RecordIdPath = Annotated[str, AfterValidator(fold_id),  # Ｎ００１ is N001, as ingest reads it
                         Path(min_length=1, max_length=128, pattern=ID_PATTERN,
                              description="记录 id")]
WaitQuery = Annotated[bool, Query(description="等待索引同步完成后再返回；最多等待 "
                                             "TECHMATCH_WRITE_WAIT_SECONDS（默认 30 秒），"
                                             "超时则返回 202 并给出索引落后程度")]
# a filter given twice is any-of (`?city=苏州&city=深圳`), as the values of a search filter
FacetQuery = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=200)]]
                       | None, Query(max_length=50)]


class RowProblem(BaseModel):
    """上传文件中被拒绝的一行。"""

    row: int
    field: str | None = None
    message: str


class UploadReport(BaseModel):
    """文件上传的逐行报告：合格行在一个事务中写入，不合格行逐行说明原因。"""

    kind: str
    file: str
    format: str
    encoding: str | None = None
    read: int
    rejected: int
    inserted: list[str]
    updated: list[str]
    unchanged: list[str]
    errors: list[RowProblem]
    duplicates: list[dict[str, object]]
    warnings: list[str]
    index: IndexState


class WriteWait:
    """`?wait=true` of a write, with the stated limit and the response whose status it sets."""

    def __init__(self, request: Request, response: Response, wait: WaitQuery = False) -> None:
        self.wait = wait
        self.limit = get_state(request).settings.write_wait_seconds
        self.response = response


WaitDep = Annotated[WriteWait, Depends()]


def index_state(syncer: IndexSyncer, kind: str, seq: int, changed: bool,
                wait: WriteWait) -> IndexState:
    """Schedule the index follow-up of `kind`; with `wait`, block up to the limit until it
    applied `seq`. A wait that runs out answers 202 (stored, not yet searchable) with the
    index lag, never a silent 200."""
    caught_up: bool | None = None
    if changed:
        syncer.schedule(kind)
        if wait.wait:
            caught_up = syncer.wait(kind, seq, wait.limit)
    elif wait.wait:
        caught_up = True
    applied, generation = syncer.applied(kind)
    lag = None
    if caught_up is False:
        wait.response.status_code = 202
        lag = IndexLag(**syncer.lag(kind).as_dict())  # type: ignore[arg-type]
    return IndexState(store_seq=seq, scheduled=changed, applied_seq=applied,
                      generation=generation if wait.wait else None, waited=wait.wait,
                      caught_up=caught_up, lag=lag)


def _visible_record(engine: Engine, visibility, principal, kind: str, rid: str):  # noqa: ANN001,ANN202
    record = engine.store.get(rid, kind)
    if not visibility.visible(record, principal):
        raise no_such(kind, rid)  # same answer as a missing id
    return record


def list_filters(kind: str) -> Callable[..., dict[str, list[str]]]:
    """The filters dependency of one kind's list: it declares only that kind's filters
    (`LIST_FILTERS`), so the OpenAPI page and the 422 for an unknown parameter
    (`query_check`) offer those alone. A value matches in any writing (`Visibility.list`), the
    values of one filter are any-of; an unknown code of a coded filter is 422."""

    def filters(**given: list[str] | None) -> dict[str, list[str]]:
        values = {k: v for k, v in given.items() if v is not None}
        for name, listed in values.items():
            codes = CODED_FILTERS.get(name)
            for value in listed:
                if codes is not None and value not in codes:  # a typo listed nothing, with 200
                    raise ValidationError(f"{name} 没有取值 '{value}'；可选：{', '.join(codes)}",
                                          field=f"query.{name}")
        return values

    filters.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=FacetQuery) for name in LIST_FILTERS[kind]])
    filters.__name__ = f"{kind}_list_filters"
    return filters


def _add_kind(kind: str, plural: str, label: str, create: type[BaseModel],
              public: type[BaseModel]) -> None:
    tags: list[str | Enum] = [f"records: {plural}"]
    batch = create_model(f"{create.__name__}Batch", __doc__=f"批量写入的{label}（最多 1000 条）",
                         records=(list[create],  # type: ignore[valid-type]
                                  Field(min_length=1, max_length=MAX_BATCH)))

    @router.post(f"/{plural}", tags=tags, responses=ACCEPTED,
                 summary=f"新增或更新一条{label}",
                 description=f"按 id 写入一条{label}；内容未变时不产生新版本。需要 write 权限。")
    def upsert_one(principal: Writer, record: create, engine: EngineDep,  # type: ignore[valid-type]
                   syncer: SyncerDep, wait: WaitDep, service: ServiceDep) -> WriteResult:
        return _upsert_single(engine, syncer, kind, record, wait, service)

    @router.put(f"/{plural}/{{rid:path}}", tags=tags, responses=ACCEPTED,
                summary=f"按 id 更新一条{label}",
                description="路径中的 id 必须与请求体中的 id 相同。需要 write 权限。")
    def put_one(principal: Writer, rid: RecordIdPath, record: create,  # type: ignore[valid-type]
                engine: EngineDep, syncer: SyncerDep,
                wait: WaitDep, service: ServiceDep) -> WriteResult:
        if record.id != rid:  # type: ignore[attr-defined]
            raise ValidationError(f"请求体中的 id（{record.id!r}）与路径中的 id（{rid!r}）"  # type: ignore[attr-defined]
                                  f"不一致", field="body.id")
        return _upsert_single(engine, syncer, kind, record, wait, service)

    @router.post(f"/{plural}/batch", tags=tags, responses=ACCEPTED,
                 summary=f"批量新增或更新{label}",
                 description="一次最多 1000 条，在一个事务中写入；"
                             "任何一条无效（或编号重复）则全部不写并指出字段。")
    def upsert_batch(principal: Writer, body: batch, engine: EngineDep,  # type: ignore[valid-type]
                     syncer: SyncerDep, wait: WaitDep, service: ServiceDep) -> BatchResult:
        _refuse_repeated_ids(body.records)  # type: ignore[attr-defined]
        report = engine.store.upsert(_keep_secret(engine.store, body.records))  # type: ignore[attr-defined,arg-type]
        _follow_dockings(engine, kind, report, service)
        seq = engine.store.last_seq(kind)
        changed = bool(report.inserted or report.updated)
        return BatchResult(kind=kind, inserted=report.inserted, updated=report.updated,  # type: ignore[arg-type]
                           unchanged=report.unchanged,
                           index=index_state(syncer, kind, seq, changed, wait))

    @router.get(f"/{plural}/{{rid:path}}", tags=tags, summary=f"查看一条{label}",
                response_model=public, responses=problem_responses(404))
    def get_one(principal: Reader, rid: RecordIdPath, engine: EngineDep,
                visibility: VisibilityDep) -> dict[str, object]:
        record = _visible_record(engine, visibility, principal, kind, rid)
        return visibility.public(record, principal)

    @router.delete(f"/{plural}/{{rid:path}}", tags=tags, summary=f"删除一条{label}",
                   responses={**ACCEPTED, **problem_responses(404, 409)})
    def delete_one(principal: Writer, rid: RecordIdPath, engine: EngineDep,
                   syncer: SyncerDep, wait: WaitDep) -> DeleteResult:
        delete_record(engine.store, rid, kind=kind)  # 404 missing, 409 docked
        seq = engine.store.last_seq(kind)
        return DeleteResult(id=rid, kind=kind,  # type: ignore[arg-type]
                            index=index_state(syncer, kind, seq, True, wait))

    @router.get(f"/{plural}", tags=tags, summary=f"分页列出{label}",
                response_model=Page[public],  # type: ignore[valid-type]
                description="按 id 排序；可按地区、行业等筛选（繁简、全半角视为同一写法，"
                            "同一条件给多次为任一匹配）；offset + limit ≤ 10000。")
    def list_records(principal: Reader, page: PageDep, visibility: VisibilityDep,
                     values: Annotated[dict[str, list[str]], Depends(list_filters(kind))]
                     ) -> dict[str, object]:
        items, total = visibility.list(kind, principal, filters=values, offset=page.offset,
                                       limit=page.limit)
        return {"total": total, "offset": page.offset, "limit": page.limit,
                "items": [visibility.public(r, principal) for r in items]}

    @router.post(f"/{plural}/upload", tags=tags,
                 responses={**ACCEPTED, **problem_responses(400)},  # 400: broken multipart
                 summary=f"上传{label}文件（CSV / XLSX / JSONL）",
                 description="合格行在一个事务中写入；不合格行逐行报告（行号、字段、原因）。"
                             "文件编码可为 UTF-8 或 GB18030。文件无法读取、为空、看起来是"
                             "另一类记录，或所有行都被拒绝时返回 422。需要 write 权限。")
    def upload(principal: Writer, file: Annotated[UploadFile, File(description="数据文件")],
               engine: EngineDep, syncer: SyncerDep, wait: WaitDep, service: ServiceDep,
               on_duplicate: Annotated[Literal["last", "first", "error"], Query(
                   description="文件中重复 id 的处理方式")] = "last",
               force_kind: Annotated[bool, Query(
                   description="列名看起来属于另一类记录时仍按本类写入")] = False,
               ) -> UploadReport:
        return _ingest_upload(engine, syncer, kind, file, UploadOptions(on_duplicate,
                                                                        force_kind), wait,
                              service)


def _refuse_repeated_ids(records: list[BaseModel]) -> None:
    """A batch names each id once: a second record of an id would silently replace the first
    in the same transaction (listed as inserted and updated). 422 naming the repeat."""
    first: dict[str, int] = {}
    for i, record in enumerate(records):
        rid = str(record.id)  # type: ignore[attr-defined]  # folded as stored (fold_id)
        if rid in first:
            raise ValidationError(f"编号 {rid} 在本批中重复（与 records.{first[rid]} 相同）；"
                                  "每个编号只能出现一次", field=f"body.records.{i}.id")
        first[rid] = i


def _keep_secret(store: Store, records: list[BaseModel]) -> list[BaseModel]:
    """Needs sent without `confidential` keep a stored True: a client fixing a title must not
    make a confidential need public (`"confidential": false` does)."""
    unset = {r.id for r in records
             if isinstance(r, Need) and "confidential" not in r.model_fields_set}
    secret = {rid for rid, old in (store.get_many(unset) if unset else {}).items()
              if getattr(old, "confidential", False)}
    return [r.model_copy(update={"confidential": True})
            if isinstance(r, Need) and r.id in unset and r.id in secret else r
            for r in records]


def _upsert_single(engine: Engine, syncer: IndexSyncer, kind: str, record: BaseModel,
                   wait: WriteWait, service: object) -> WriteResult:
    report = engine.store.upsert(_keep_secret(engine.store, [record]))  # type: ignore[arg-type]
    _follow_dockings(engine, kind, report, service)
    status = "inserted" if report.inserted else "updated" if report.updated else "unchanged"
    seq = engine.store.last_seq(kind)
    return WriteResult(id=record.id, kind=kind, status=status,  # type: ignore[attr-defined,arg-type]
                       index=index_state(syncer, kind, seq, status != "unchanged", wait))


def _follow_dockings(engine: Engine, kind: str, report: UpsertReport, service: object) -> None:
    """Written needs with dockings keep the status their dockings give (a need with a signed
    docking re-sent as `open` stays matched); their stored batch results are brought up to
    date at once (工作台, 覆盖分析: techmatch.matcher.batch.live)."""
    if kind == "need":
        sync_needs(engine.store, [*report.inserted, *report.updated])
        refresh_needs(service, [*report.inserted, *report.updated])  # type: ignore[arg-type]


@dataclass(frozen=True)
class UploadOptions:
    on_duplicate: str
    force_kind: bool


def _ingest_upload(engine: Engine, syncer: IndexSyncer, kind: str, file: UploadFile,
                   options: UploadOptions, wait: WriteWait, service: object) -> UploadReport:
    name = _SAFE_NAME.sub("_", FsPath(file.filename or "upload").name) or "upload"
    with tempfile.TemporaryDirectory(prefix="techmatch-upload-") as tmp:
        path = FsPath(tmp) / name
        with path.open("wb") as out:
            while chunk := file.file.read(1 << 20):
                out.write(chunk)
        # The file is called by its own name in every message: never the server's temp path.
        with upload_limits(engine.settings):
            try:
                report = ingest_files([path], kind, engine.store, names=[name],
                                      on_duplicate=options.on_duplicate,  # type: ignore[arg-type]
                                      force_kind=options.force_kind)
            except IngestError as exc:
                raise forcing_hint(exc, http=True) from None
    if report.all_rejected:
        raise RowsRejectedError(f"所有行都被拒绝（{report.read} 行中 {report.rejected} 行），"
                                f"没有存入任何记录", source=name,
                                rows=[(e.row, e.field, e.message) for e in report.errors])
    loaded = report.loaded
    _follow_dockings(engine, kind, loaded, service)
    changed = bool(loaded.inserted or loaded.updated)
    seq = engine.store.last_seq(kind)
    first = report.files[0] if report.files else None
    return UploadReport(
        kind=kind, file=name, format=first.format if first else "",
        encoding=first.encoding if first else None, read=report.read, rejected=report.rejected,
        inserted=loaded.inserted, updated=loaded.updated, unchanged=loaded.unchanged,
        errors=[RowProblem(row=e.row, field=e.field, message=e.message) for e in report.errors],
        duplicates=[d.as_dict() for d in report.duplicates],
        warnings=report.warnings,
        index=index_state(syncer, kind, seq, changed, wait))


_add_kind("need", "needs", "需求", NeedCreate, NeedPublic)
_add_kind("achievement", "achievements", "成果", AchievementCreate, AchievementPublic)
_add_kind("expert", "experts", "专家", ExpertCreate, ExpertPublic)
