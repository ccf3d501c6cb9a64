"""覆盖分析: city × industry heat map for a date range, unmet keywords, rising topics, XLSX."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from fastapi import Request
from starlette.responses import Response

from techmatch.api.console.deps import Staff, render
from techmatch.api.console.pages.common import console_router, date_range
from techmatch.api.console.pages.plans import XLSX
from techmatch.api.console.session import StaffSession
from techmatch.api.console.views.coverage import (
    coverage_for_range,
    coverage_sheets,
    coverage_view,
    run_time,
)
from techmatch.api.deps import EngineDep, VisibilityDep
from techmatch.api.visibility import Visibility
from techmatch.matcher.analytics.coverage import CoverageReport
from techmatch.matcher.engine import Engine
from techmatch.xlsx import write_sheets

router = console_router()


def _report(request: Request, session: StaffSession, engine: Engine, visibility: Visibility
            ) -> tuple[CoverageReport, dt.date | None, dt.date | None, dict[str, str]]:
    errors: dict[str, str] = {}
    start, end = date_range(request.query_params, errors)
    hidden = (frozenset() if session.principal.sees_confidential
              else visibility.confidential_ids())
    report = coverage_for_range(engine.store, engine.tokenizer,
                                threshold=engine.settings.confidence_threshold,
                                start=start, end=end, hidden=hidden)
    return report, start, end, errors


@router.get("/coverage")
def coverage(request: Request, session: Staff, engine: EngineDep,
             visibility: VisibilityDep) -> Response:
    report, start, end, errors = _report(request, session, engine, visibility)
    query = request.url.query
    return render(request, "coverage.html", {
        "title": "覆盖分析", "view": coverage_view(report, run_time(engine.store, report.run_id)),
        "start": start, "end": end,
        "errors": errors, "export": "/coverage/xlsx" + (f"?{query}" if query else "")},
        session=session)


@router.get("/coverage/xlsx")
def coverage_xlsx(request: Request, session: Staff, engine: EngineDep,
                  visibility: VisibilityDep) -> Response:
    report, start, end, _ = _report(request, session, engine, visibility)
    with tempfile.TemporaryDirectory(prefix="techmatch-xlsx-") as tmp:
        path = Path(tmp) / "coverage.xlsx"
        write_sheets(path, coverage_sheets(report, start, end,
                                                 run_time(engine.store, report.run_id)))
        body = path.read_bytes()
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="coverage.xlsx"'})
