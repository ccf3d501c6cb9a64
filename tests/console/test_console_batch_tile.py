"""The 工作台's 最近批量匹配 tile names every status a run can have, in Chinese."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from techmatch.store.batch import RunRecord

STATUSES = ("running", "finished", "failed", "abandoned")  # techmatch.matcher.batch.run


def _tile(run: RunRecord) -> str:
    from techmatch.api.console.deps import TEMPLATES

    board = SimpleNamespace(open_needs=0, unmatched_total=0, unmatched_listed=0, open_hidden=0,
                            unmatched=[], last_run=run,
                            kpi_labels={}, kpis=SimpleNamespace(counts={}, deal_value=0))
    html = TEMPLATES.env.get_template("dashboard.html").render(
        nav=[], staff=None, csrf="", board=board, threshold=0.35, overdue=[], errors={})
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return text[:text.index("最近批量匹配") + 80]


@pytest.mark.parametrize("status", STATUSES)
def test_every_run_status_reads_in_chinese(status: str) -> None:
    """A batch killed while planning (after it had set the previous unfinished run aside)
    leaves that run, status abandoned, the newest: the tile read `abandoned`."""
    run = RunRecord(run_id="20261130T201536Z-f7e161", started="2026-11-30T20:15:36.000001+00:00",
                    finished="2026-11-30T20:16:00+00:00", status=status,
                    kinds=["achievement"], k=10, full=False)
    tile = _tile(run)
    shown = r"[\u4e00-\u9fff]+ 最近批量匹配：2026-12-01 04:16（北京时间）"  # 20:16 UTC
    assert status not in tile and re.search(shown, tile), tile


def test_needs_left_to_a_staff_refresh_are_named() -> None:
    """A run whose chunk left a need to a staff action's live refresh (counts.skipped_fresh,
    run.write_current) says so beside the open needs; a run without one says nothing."""
    run = RunRecord(run_id="20261130T201536Z-f7e161", started="2026-11-30T20:15:36.000001+00:00",
                    finished="2026-11-30T20:16:00+00:00", status="finished",
                    kinds=["achievement"], k=10, full=False,
                    counts={"open_needs": 43, "recomputed": 42, "skipped": 0,
                            "skipped_fresh": 1})
    assert "，43 条待匹配需求（其中 1 条运行期间经人工操作更新，未重算）" in _tile(run)
    quiet = RunRecord(**{**run.__dict__, "counts": {"open_needs": 43, "skipped_fresh": 0}})
    assert "，43 条待匹配需求" in _tile(quiet) and "人工操作" not in _tile(quiet)
