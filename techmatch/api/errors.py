"""Errors as RFC 9457 problem+json: techmatch errors, validation and HTTP errors mapped once."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from techmatch.errors import (
    BackendError,
    ConfigError,
    ConflictError,
    IndexError_,
    InfeasibleError,
    LockedError,
    NotFoundError,
    RowsRejectedError,
    StoreUnavailableError,
    TechmatchError,
    ValidationError,
)
from techmatch.models.validation_zh import json_reason_zh, message_zh

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_ROW_ERRORS = 100  # rows listed in one problem body (an upload may reject thousands)
log = logging.getLogger("techmatch.api")

# (error class, HTTP status, problem slug, title); the first matching class wins.
_MAPPING: tuple[tuple[type[TechmatchError], int, str, str], ...] = (
    (ValidationError, 422, "validation", "请求参数无效 (invalid request)"),
    (InfeasibleError, 422, "infeasible", "约束无法同时满足 (infeasible constraints)"),
    (NotFoundError, 404, "not-found", "记录不存在 (not found)"),
    (IndexError_, 503, "index-unavailable", "索引不可用 (index unavailable)"),
    (StoreUnavailableError, 503, "store-unavailable", "存储数据库不可用 (store unavailable)"),
    (BackendError, 503, "backend-unavailable", "检索后端不可用 (backend unavailable)"),
    (LockedError, 409, "locked", "操作被占用 (locked)"),
    (ConflictError, 409, "conflict", "数据已被修改 (conflict)"),
    (ConfigError, 500, "config", "服务配置错误 (configuration error)"),
)
_HTTP_TITLES = {400: "请求错误 (bad request)", 401: "未认证 (unauthorized)",
                403: "无权限 (forbidden)", 404: "记录不存在 (not found)",
                405: "方法不允许 (method not allowed)", 409: "冲突 (conflict)",
                413: "请求体过大 (content too large)",
                415: "媒体类型不支持 (unsupported media type)",
                422: "请求参数无效 (invalid request)", 503: "服务未就绪 (service unavailable)"}
# stable codes (the problem type's slug) of the HTTP errors raised as HTTPException
_HTTP_SLUGS = {401: "unauthorized", 403: "forbidden"}


class FieldError(BaseModel):
    """One invalid input, located by a dotted path such as `body.need.title` or `query.k`."""

    field: str = Field(description="出错字段的路径，如 body.need.title")
    message: str = Field(description="错误说明（中文）")
    code: str | None = Field(default=None, description=(
        "稳定的英文错误代码：请求校验错误为 pydantic 的错误类型（如 missing、int_parsing、"
        "string_too_long），其他为 invalid、not_found、conflict、row_rejected、infeasible"))
    loc: list[str | int] | None = Field(default=None, description=(
        "请求校验错误的原始位置（pydantic 的 loc），如 [\"body\", \"need\", \"title\"]"))


class Problem(BaseModel):
    """Error body (RFC 9457 problem details, media type application/problem+json)."""

    type: str = Field(default="about:blank", description="错误类型 URI")
    title: str = Field(description="错误类别")
    status: int = Field(description="HTTP 状态码")
    detail: str = Field(description="具体说明")
    errors: list[FieldError] = Field(default_factory=list, description="逐字段的错误")


def problem_response(status: int, detail: str, *, title: str | None = None,
                     slug: str | None = None, errors: Sequence[FieldError] = (),
                     headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem+json response."""
    body = Problem(type=f"urn:techmatch:problem:{slug}" if slug else "about:blank",
                   title=title or _HTTP_TITLES.get(status, "错误 (error)"), status=status,
                   detail=detail, errors=list(errors))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status,
                        media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _loc_path(loc: Sequence[object]) -> str:
    return ".".join(str(part) for part in loc) or "body"


_SERVER_PATH = re.compile(r"(?<![\w.])/(?!v1/)(?:[\w.\-]+/)+[\w.\-]*")  # routes stay


def scrub_paths(text: str) -> str:
    """Server file-system paths in a message → `<path>`: answers never reveal them (the
    server log keeps the full message). Ids such as `a/b` are left alone: a path starts at a
    slash that follows no word character."""
    return _SERVER_PATH.sub("<path>", text)


def _techmatch_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TechmatchError)
    status, slug, title = next(((s, g, t) for cls, s, g, t in _MAPPING if isinstance(exc, cls)),
                               (500, "internal", "内部错误 (internal error)"))
    if status >= 500:
        log.error("%s: %s", type(exc).__name__, exc)
    errors: list[FieldError] = []
    if isinstance(exc, ValidationError) and exc.field:
        errors.append(FieldError(field=exc.field, message=exc.message, code="invalid"))
    if isinstance(exc, RowsRejectedError):
        errors.extend(FieldError(field=f"row {row}" + (f".{name}" if name else ""), message=text,
                                 code="row_rejected")
                      for row, name, text in exc.rows[:MAX_ROW_ERRORS])
    if isinstance(exc, ConflictError | NotFoundError) and exc.field:
        code = "conflict" if isinstance(exc, ConflictError) else "not_found"
        errors.append(FieldError(field=exc.field, message=exc.message, code=code))
    if isinstance(exc, InfeasibleError):
        errors.extend(FieldError(field="constraints", message=d, code="infeasible")
                      for d in exc.diagnostics)
    # a store outage passes: clients (and load balancers) are told when to try again
    headers = ({"Retry-After": str(exc.retry_after)}
               if isinstance(exc, StoreUnavailableError) else None)
    return problem_response(status, scrub_paths(str(exc)), title=title, slug=slug,
                            errors=errors, headers=headers)


def _request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(err) for err in exc.errors()]
    content_type = request.headers.get("content-type", "")
    if content_type and "json" not in content_type.lower():  # FastAPI never parsed the body
        hint = ("请求体应为 JSON，并以 Content-Type: application/json 发送（收到 "
                f"{content_type.split(';')[0].strip()}）")  # curl -d sends a form type
        errors = [e.model_copy(update={"message": hint}) if e.field == "body" else e
                  for e in errors]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5]) or "请求参数无效"
    return problem_response(422, detail, slug="validation", errors=errors)


def _field_error(err: Any) -> FieldError:
    """One pydantic error in Chinese (models/validation_zh.py), its type kept as `code` and its
    loc as `loc`; broken JSON names `body` and the character offset (its loc's offset read as
    `body.11`, like an array index)."""
    loc, code = tuple(err.get("loc", ())), str(err.get("type", "")) or None
    raw = [part if isinstance(part, int) else str(part) for part in loc]
    if code == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int):
        reason = (err.get("ctx") or {}).get("error", "")
        # loc[1] is the 0-based offset where parsing stopped; staff count from 1
        return FieldError(field="body", message=f"JSON 解析错误（第 {loc[1] + 1} 个字符处）"
                                               + (f"：{json_reason_zh(reason)}" if reason
                                                  else ""),
                          code=code, loc=raw)
    field = _loc_path(loc)
    return FieldError(field=field, message=message_zh(err, field), code=code, loc=raw)


def http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    detail, title = str(exc.detail), None
    allowed = _allowed_methods(request) if exc.status_code == 405 else []
    if allowed:  # Starlette's Allow names only the first route at the path
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        detail = f"{request.url.path} 不接受 {request.method} 请求；可用方法：" \
                 f"{', '.join(allowed)}"
    elif exc.status_code == 404 and detail == "Not Found":  # no route, not a missing record
        title = "接口不存在 (no such route)"
        detail = f"没有接口 {request.method} {request.url.path}；接口列表见 /docs"
    return problem_response(exc.status_code, detail, title=title, headers=headers,
                            slug=_HTTP_SLUGS.get(exc.status_code))


def _allowed_methods(request: Request) -> list[str]:
    """Every method the documented API serves at the request's path (from the OpenAPI
    paths, built once; console pages are not in it and keep Starlette's answer)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


def _unexpected_handler(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem_response(500, "内部错误，详情见服务器日志",
                            title="内部错误 (internal error)", slug="internal")


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on `app`."""
    app.add_exception_handler(TechmatchError, _techmatch_handler)
    app.add_exception_handler(RequestValidationError, _request_validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(Exception, _unexpected_handler)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` entries declaring problem+json bodies for `statuses`."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {status: {"description": _HTTP_TITLES.get(status, "错误"),
                     "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}}} for status in statuses}
