"""The staff console: server-rendered zh-CN pages (Jinja2) served by the API app, assets local.

`install(app)` adds the page routers, the static files under /static/console and the session
codec; every page calls the matcher and store directly (no HTTP to itself).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

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
from techmatch.api.console.session import SessionCodec, load_secret
from techmatch.config import Settings

STATIC = Path(__file__).parent / "static"
ROUTERS = (auth, dashboard, intake, match, records, dockings, plans, coverage, evaluation,
           programme)

__all__ = ["install"]


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the console on `app` (sessions signed with the home's console secret)."""
    app.state.console_codec = SessionCodec(load_secret(settings.home),
                                           settings.console_session_minutes * 60)
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
