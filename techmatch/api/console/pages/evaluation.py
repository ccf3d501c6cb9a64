"""评估: the latest evaluation reports (metrics per configuration, significance, chart)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from techmatch.api.console.deps import Staff, render
from techmatch.api.console.pages.common import console_router
from techmatch.api.console.views.evaluation import find_reports, load_report
from techmatch.api.deps import SettingsDep

router = console_router()


@router.get("/evaluation")
def evaluation(request: Request, session: Staff, settings: SettingsDep) -> Response:
    reports = [r for r in (load_report(p) for p in find_reports(settings.home)) if r]
    return render(request, "evaluation.html", {"title": "评估", "reports": reports},
                  session=session)
