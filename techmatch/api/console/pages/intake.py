"""需求录入 (a form with per-field messages) and 批量导入 (CSV / XLSX upload, per-row report)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import File, Form, Path, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from techmatch.api.console.deps import Writer, WriterPost, render
from techmatch.api.console.messages import upload_error
from techmatch.api.console.pages.common import console_router
from techmatch.api.console.views.intake import (
    ALLOWED_SUFFIXES,
    CSV_SUFFIX,
    FORM_FIELDS,
    JSONL_SUFFIX,
    field_label,
    ingest_upload,
    new_need_id,
    rejects_csv,
    rejects_path,
    validate_need,
)
from techmatch.api.deps import EngineDep, ServiceDep, SyncerDep
from techmatch.api.routers.programme_events import attachment
from techmatch.errors import IngestError, NotFoundError
from techmatch.indexers.ingest.readers import upload_limits
from techmatch.matcher.batch.live import refresh_needs

router = console_router()
KindForm = Annotated[Literal["need", "achievement", "expert"], Form()]


@router.get("/needs/new")
def need_form(request: Request, session: Writer) -> Response:
    return render(request, "need_form.html", {"title": "需求录入", "values": {
        "id": new_need_id(), "status": "open"}, "errors": {}, "confidential": False},
        session=session)


@router.post("/needs/new")
async def create_need(request: Request, session: WriterPost, engine: EngineDep,
                      syncer: SyncerDep, service: ServiceDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in FORM_FIELDS}
    confidential = form.get("confidential") == "on"
    need, errors = validate_need(values, confidential, engine.store)
    if need is None:
        return render(request, "need_form.html", {
            "title": "需求录入", "values": values, "errors": errors,
            "first_error": next((f for f in FORM_FIELDS if f in errors), None),  # gets focus
            "confidential": confidential}, session=session, status_code=400)
    engine.store.upsert([need])
    syncer.schedule("need")
    # matched now, not 未计算 on the 工作台 until the night's batch (batch.live)
    await run_in_threadpool(refresh_needs, service, [need.id])
    return RedirectResponse(f"/needs/{need.id}?done=created", status_code=303)


@router.get("/upload")
def upload_form(request: Request, session: Writer) -> Response:
    return render(request, "upload.html", {"title": "批量导入", "upload": None,
                                           "kind": "need", "error": ""}, session=session)


@router.post("/upload")
def upload(request: Request, session: WriterPost, engine: EngineDep, syncer: SyncerDep,
           service: ServiceDep, kind: KindForm, file: Annotated[UploadFile, File()]
           ) -> Response:
    name = (file.filename or "").lower()
    context: dict[str, object] = {"title": "批量导入", "upload": None, "kind": kind, "error": ""}
    if name.endswith(".xls"):
        context["error"] = f"{file.filename}：Excel 97-2003 工作簿（.xls）无法读取，" \
                           "请在 Excel 中另存为 .xlsx 后上传"
        return render(request, "upload.html", context, session=session, status_code=400)
    if not name.endswith(ALLOWED_SUFFIXES):
        context["error"] = f"不支持的文件类型：{file.filename or '（无文件名）'}；" \
                           f"请上传 {' / '.join(s[1:].upper() for s in ALLOWED_SUFFIXES)} 文件"
        return render(request, "upload.html", context, session=session, status_code=400)
    try:
        with upload_limits(engine.settings):
            result = ingest_upload(engine.settings.home, engine.store, kind, file.filename,
                                   file.file)
    except IngestError as exc:
        context["error"] = f"文件无法导入：{upload_error(exc)}"
        return render(request, "upload.html", context, session=session, status_code=400)
    loaded = result.report.loaded
    if loaded.inserted or loaded.updated:
        syncer.schedule(kind)
    if kind == "need":  # the 工作台 / 覆盖分析 show them at once (a large file: 未计算)
        refresh_needs(service, [*loaded.inserted, *loaded.updated])
    context.update(upload=result, field_label=field_label)
    return render(request, "upload.html", context, session=session)


@router.get("/upload/rejects/{token}/{name}")
def download_rejects(session: Writer, engine: EngineDep,
                     token: Annotated[str, Path(max_length=64)],
                     name: Annotated[str, Path(max_length=200)]) -> Response:
    as_csv = name.endswith(CSV_SUFFIX)  # the rows for Excel, reasons in Chinese
    path = rejects_path(engine.settings.home, token,
                        name[:-len(CSV_SUFFIX)] + JSONL_SUFFIX if as_csv else name)
    if path is None:
        raise NotFoundError("没有这个退回文件（可能已被清理）")
    if as_csv:
        return Response(rejects_csv(path), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": attachment(name)})
    return FileResponse(path, media_type="application/x-ndjson", filename=name)
