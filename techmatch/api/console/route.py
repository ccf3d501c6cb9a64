"""`ConsoleRoute`: console handlers answer in HTML — login redirects and Chinese error pages."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from techmatch.api.console.deps import (
    Forbidden,
    LoginRequired,
    current_session,
    login_redirect,
    render,
)
from techmatch.api.console.messages import error_message
from techmatch.api.console.views.intake import field_label
from techmatch.api.errors import scrub_paths
from techmatch.errors import (
    ConflictError,
    IndexError_,
    InfeasibleError,
    LockedError,
    NotFoundError,
    TechmatchError,
    ValidationError,
)

log = logging.getLogger("techmatch.console")
_TITLES = {400: "输入有误", 403: "没有权限", 404: "未找到", 409: "操作冲突", 503: "服务暂不可用"}


def _status(exc: TechmatchError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ValidationError | InfeasibleError):
        return 400
    if isinstance(exc, LockedError | ConflictError):
        return 409
    if isinstance(exc, IndexError_):
        return 503
    return 500


def error_page(request: Request, status: int, message: str) -> Response:
    try:
        session = current_session(request)
    except LoginRequired:
        session = None
    return render(request, "error.html", {"title": _TITLES.get(status, "出错了"),
                                          "message": message, "status": status},
                  session=session, status_code=status)


class ConsoleRoute(APIRoute):
    """An APIRoute whose failures become HTML (the API's problem+json stays for /v1)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            response = await answer(request)
            # staff pages hold confidential needs: after 退出, Back must ask the server again
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return RedirectResponse(login_redirect(exc.next_url), status_code=303)
            except Forbidden as exc:
                return error_page(request, 403, str(exc))
            except TechmatchError as exc:
                status = _status(exc)
                if status == 500:
                    log.exception("console request failed")
                # as the API: the server's file-system paths never reach a page
                return error_page(request, status, scrub_paths(error_message(exc, field_label)))
            except RequestValidationError as exc:
                fields = "、".join(field_label(".".join(map(str, e.get("loc", ())[1:])))
                                  if len(e.get("loc", ())) > 1 else "请求"
                                  for e in exc.errors())
                return error_page(request, 400, f"请求参数无效：{fields}")
            except HTTPException as exc:
                message = ("引擎与索引正在加载，请稍候刷新" if exc.status_code == 503
                           else str(exc.detail))
                return error_page(request, exc.status_code, message)

        return console_handler
