"""The staff console: server-rendered zh-CN pages (Jinja2) served by the API app, assets local.

`install(app)` adds the page routers, the static files under /static/console and the session
codec; every page calls the matcher and store directly (no HTTP to itself).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from techmatch.api.console.pages import (
    auth,
    coverage,
    dashboard,
    dockings,
    evaluation,
    intake,
    match,
    plans,
    programme,
    records,
)
from techmatch.api.console.route import error_page
from techmatch.api.console.session import SessionCodec, load_secret
from techmatch.api.errors import http_problem
from techmatch.config import Settings

STATIC = Path(__file__).parent / "static"
ROUTERS = (auth, dashboard, intake, match, records, dockings, plans, coverage, evaluation,
           programme)
# Paths that are the API's (problem+json whatever the client accepts), not console pages.
API_PREFIXES = ("/v1/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics",
                "/static/")
_PAGE_ERRORS = {404: "没有这个页面：{path}。请从上方导航进入。",
                405: "这个页面不接受这种请求方式（{method}）。"}

__all__ = ["install"]


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the console on `app` (sessions signed with the home's console secret)."""
    app.state.console_codec = SessionCodec(load_secret(settings.home),
                                           settings.console_session_minutes * 60,
                                           home=settings.home)
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(StarletteHTTPException, page_or_problem)


def page_or_problem(request: Request, exc: Exception) -> Response:
    """A browser asking for a console address that does not exist gets a Chinese page with
    the navigation; API paths and non-browser clients keep the problem+json answer."""
    assert isinstance(exc, StarletteHTTPException)
    text = _PAGE_ERRORS.get(exc.status_code)
    path = request.url.path
    if (text is None or path.startswith(API_PREFIXES)
            or "text/html" not in request.headers.get("accept", "")):
        return http_problem(request, exc)
    return error_page(request, exc.status_code, text.format(path=path, method=request.method))
