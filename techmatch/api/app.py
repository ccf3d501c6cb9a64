"""FastAPI app factory: settings and keys checked at once, engine and service loaded by the
lifespan in a worker thread (so /healthz answers while indexes load), routers per resource.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from techmatch.api import console
from techmatch.api.docs import install_docs
from techmatch.api.errors import Problem, install_error_handlers
from techmatch.api.limits import RequestLimitMiddleware
from techmatch.api.metrics import Metrics, MetricsMiddleware
from techmatch.api.query_check import reject_unknown_query
from techmatch.api.routers import (
    dockings,
    feedback,
    health,
    kpis,
    match,
    plans,
    programme,
    programme_events,
    records,
    search,
    stats,
)
from techmatch.api.security import KeyRing
from techmatch.api.state import AppState
from techmatch.config import Settings, get_settings
from techmatch.errors import ConfigError
from techmatch.matcher.engine import Engine

ANONYMOUS_ENV = "TECHMATCH_ALLOW_ANONYMOUS"
DESCRIPTION = """科技服务平台供需匹配服务：企业技术需求、科研成果与专家之间的检索、匹配与解释。

* 认证：请求头 `X-API-Key`；角色 read（检索、匹配、查看）< write（写入、反馈）< admin。
* 错误：`application/problem+json`，`errors[].field` 指出出错字段（如 `body.need.title`）。
* 每个检索/匹配结果带 `generation`：回答所用的索引代号。
"""
TAGS = [
    {"name": "search", "description": "自由文本检索"},
    {"name": "match", "description": "需求 → 成果/专家；成果 → 需求"},
    {"name": "feedback", "description": "工作人员与对接结果的反馈"},
    {"name": "dockings", "description": "对接跟踪：从推荐到签约、验收的阶段、负责人、时限与历史"},
    {"name": "health", "description": "存活、就绪与指标"},
    {"name": "programme", "description": "项目管理：试点城市、团队、活动、目标、看板、培训"},
    {"name": "plans", "description": "服务团专家分配与技术路演方案"},
    {"name": "stats", "description": "覆盖率、需求缺口与夜间批量匹配结果"},
]


def anonymous_allowed() -> bool:
    """True when TECHMATCH_ALLOW_ANONYMOUS is 1/true/yes (local development only)."""
    return os.environ.get(ANONYMOUS_ENV, "").strip().lower() in ("1", "true", "yes")


def create_app(settings: Settings | None = None, *, engine: Engine | None = None,
               service: Any = None, allow_anonymous: bool | None = None) -> FastAPI:
    """The HTTP app; refuses to start without API keys unless anonymous access is explicit.

    `engine` / `service` may be injected (tests, embedding); otherwise the lifespan builds
    them from `settings` once. Anonymous callers are admins: for a laptop, never a server.
    """
    settings = settings or get_settings()
    keyring = KeyRing.parse(settings.api_keys)
    anonymous = anonymous_allowed() if allow_anonymous is None else allow_anonymous
    if not keyring and not anonymous:
        raise ConfigError("没有配置 API 密钥：请设置 TECHMATCH_API_KEYS='role:sha256hex,...'"
                          "（用 techmatch api-key --role admin 生成），或在本机开发时设置 "
                          f"{ANONYMOUS_ENV}=1（所有人都是管理员）")
    state = AppState(settings=settings, keyring=keyring, anonymous=anonymous, engine=engine,
                     service=service)
    app = FastAPI(title="techmatch", version="0.1.0", description=DESCRIPTION,
                  openapi_tags=TAGS, lifespan=_lifespan, docs_url=None, redoc_url=None)
    install_docs(app)  # /docs and /redoc from the package's own files, no CDN
    app.state.tm = state
    app.state.metrics = Metrics(lambda: state.engine if state.phase == "ready" else None)
    install_error_handlers(app)
    strict_query = [Depends(reject_unknown_query)]  # /v1: an unknown ?name= is a 422
    for module in (records, search, match, feedback, dockings, kpis, health, plans, stats,
                   programme_events, programme):  # fixed paths before /v1/programme/{kind}
        app.include_router(module.router,
                           dependencies=[] if module is health else strict_query)
    console.install(app, settings)  # the staff console's pages at / and its assets
    # Added innermost first: limits see the body before routing; metrics time everything.
    app.add_middleware(RequestLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_headers=["X-API-Key",
                           "Content-Type"], allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: AppState = app.state.tm
    loading = asyncio.create_task(asyncio.to_thread(state.load))
    try:
        yield
    finally:
        state.stop_loading()  # ends start-up retries while a backend is still down
        await loading  # a thread cannot be cancelled; wait for it before closing
        await asyncio.to_thread(state.close)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, plus the Problem schema the error responses refer to."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes, tags=app.openapi_tags)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(Problem.model_json_schema(ref_template="#/components/schemas/{model}")
                      .pop("$defs", {}))
    components["Problem"] = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}")
    components["Problem"].pop("$defs", None)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if "422" in responses:  # FastAPI's default 422 body is not what we send
                responses["422"] = {"description": "请求参数无效 (invalid request)", "content": {
                    "application/problem+json": {"schema": {"$ref":
                                                            "#/components/schemas/Problem"}}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
