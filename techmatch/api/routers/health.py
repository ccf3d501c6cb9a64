"""Health: /healthz (process up), /readyz (engine and indexes loaded), /metrics (Prometheus)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from techmatch.api.deps import get_state
from techmatch.api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="存活检查",
            description="进程在运行即返回 200，不检查引擎与索引。")
def healthz() -> Health:
    return Health()


@router.get("/readyz", response_model=Readiness, summary="就绪检查",
            description="引擎与索引加载完成后返回 200，否则 503 并说明原因；"
                        "同时报告各类索引的代号。",
            responses={503: {"model": Readiness, "description": "尚未就绪"}})
def readyz(request: Request) -> JSONResponse:
    state = get_state(request)
    ready, detail, generations, documents = state.readiness()
    status: Literal["ready", "loading", "error"] = (
        "ready" if ready else "loading" if state.phase == "loading" else "error")
    body = Readiness(status=status, detail=detail, generations=generations, documents=documents)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus 指标", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus 文本格式"}})
def metrics(request: Request) -> Response:
    payload, content_type = request.app.state.metrics.render()
    return Response(payload, media_type=content_type)
