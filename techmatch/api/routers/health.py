"""Health: /healthz (process up), /readyz (indexes loaded and within the lag bound), /metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from techmatch.api.deps import get_state
from techmatch.api.errors import scrub_paths
from techmatch.api.schemas import Health, Readiness
from techmatch.api.security import HEADER
from techmatch.api.state import AppState
from techmatch.models.records import KINDS

router = APIRouter(tags=["health"])
# /readyz answers without a key (probes, load balancers): a failed start's reason can name the
# store's or the cluster's address, user and database, so only callers with a key read it
HIDDEN_REASON = ("启动失败，原因见服务器日志，或带 API 密钥请求本接口 "
                 "(start-up failed: see the server log)")


@router.get("/healthz", response_model=Health, summary="存活检查",
            description="进程在运行即返回 200，不检查引擎与索引。")
def healthz() -> Health:
    return Health()


@router.get("/readyz", response_model=Readiness, summary="就绪检查",
            description="引擎与索引加载完成、且每类索引落后存储的时间不超过 "
                        "TECHMATCH_INDEX_LAG_MAX_SECONDS 时返回 200，否则 503 并说明原因；"
                        "同时报告各类索引的代号、文档数与落后程度（记录数、秒数）。",
            responses={503: {"model": Readiness, "description": "尚未就绪"}})
def readyz(request: Request) -> JSONResponse:
    state = get_state(request)
    ready, detail, generations, documents = state.readiness()
    lag, over = state.lag() if state.phase == "ready" else ({}, [])
    status: Literal["ready", "loading", "lagging", "error"] = "ready"
    if state.phase == "loading":
        status = "loading"
    elif not ready and state.phase == "ready" and any(lag.get(k, {}).get("records")
                                                        for k in KINDS):
        status = "lagging"  # a missing index the follower is building
    elif not ready:
        status = "error"
        if state.phase == "error" and not _keyed(state, request):
            detail = HIDDEN_REASON
    elif over:
        status, detail = "lagging", _lag_detail(over, lag, state.settings.index_lag_max_seconds)
    body = Readiness(status=status, detail=scrub_paths(detail), generations=generations,
                     documents=documents, lag=lag,  # type: ignore[arg-type]
                     lag_max_seconds=state.settings.index_lag_max_seconds)
    return JSONResponse(body.model_dump(mode="json"),
                        status_code=200 if status == "ready" else 503)


def _keyed(state: AppState, request: Request) -> bool:
    """Whether the caller sent a valid API key (any role), or the app is anonymous."""
    key = request.headers.get(HEADER)
    return state.anonymous or (bool(key) and state.keyring.authenticate(key or "") is not None)


def _lag_detail(over: list[str], lag: dict[str, dict[str, float | int]], bound: float) -> str:
    parts = [f"{k} {lag[k]['records']} 条记录 / {lag[k]['seconds']} 秒" for k in over]
    return f"索引落后存储超过 {bound:g} 秒：" + "，".join(parts)


@router.get("/metrics", summary="Prometheus 指标", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus 文本格式"}})
def metrics(request: Request) -> Response:
    payload, content_type = request.app.state.metrics.render()
    return Response(payload, media_type=content_type)
