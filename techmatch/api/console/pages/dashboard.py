"""工作台 (the console's home page)."""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from starlette.responses import Response

from techmatch.api.console.deps import Staff, render
from techmatch.api.console.pages.common import console_router, parse_date
from techmatch.api.console.views.dashboard import build_dashboard
from techmatch.api.console.views.docking_board import overdue_dockings
from techmatch.api.deps import EngineDep, VisibilityDep
from techmatch.models.programme import china_today

router = console_router()
DEFAULT_DAYS = 30


@router.get("/")
def dashboard(request: Request, session: Staff, engine: EngineDep,
              visibility: VisibilityDep) -> Response:
    errors: dict[str, str] = {}
    today = china_today()  # the KPIs' days, not the server's
    end = parse_date(request.query_params.get("to"), "to", errors) or today
    start = (parse_date(request.query_params.get("from"), "from", errors)
             or end - dt.timedelta(days=DEFAULT_DAYS))
    if start > end:
        errors["from"] = "起始日期不能晚于截止日期"
        start = end - dt.timedelta(days=DEFAULT_DAYS)
    hidden = (frozenset() if session.principal.sees_confidential
              else visibility.confidential_ids())
    board = build_dashboard(engine.store, threshold=engine.settings.confidence_threshold,
                            start=start, end=end, hidden=hidden)
    return render(request, "dashboard.html", {
        "title": "工作台", "board": board, "start": start, "end": end, "errors": errors,
        "threshold": engine.settings.confidence_threshold,
        "overdue": overdue_dockings(engine.store, hidden)}, session=session)
