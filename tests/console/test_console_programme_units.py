"""Programme presenters of the console without a browser: target bars and dashboard notes."""

from __future__ import annotations

import datetime as dt

from techmatch.api.console.charts import target_bars
from techmatch.api.console.views.programme import milestone_lines, note_text
from techmatch.models.programme import Milestone


def test_target_bars_draw_one_tick_per_target_and_colour_met_targets() -> None:
    svg = str(target_bars([("苏州", 2.0, 2.0), ("深圳", 1.0, 4.0), ("成都", 3.0, None)],
                          caption="组建服务团队数"))
    assert svg.count('class="target"') == 2  # 成都 has no target
    assert svg.count('fill="#0f766e"') == 1  # only 苏州 reached its target
    assert "深圳：实际 1 / 4" in svg and "成都：实际 3</title>" in svg


def test_dashboard_notes_name_metrics_in_chinese() -> None:
    labelled = note_text("deal_value: 全国目标为各城市目标之和")
    assert labelled == "签约金额（万元）：全国目标为各城市目标之和"
    assert note_text("其他说明") == "其他说明"


def test_milestones_are_ordered_by_due_date_with_overdue_flags() -> None:
    today = dt.date(2026, 8, 1)
    lines = milestone_lines([
        Milestone(id="M2", year=2026, title="b", due=dt.date(2026, 7, 31)),
        Milestone(id="M1", year=2026, title="a", due=dt.date(2026, 6, 30),
                  done_on=dt.date(2026, 6, 25)),
        Milestone(id="M3", year=2026, title="c", due=dt.date(2026, 12, 31))], today)
    assert [(x.milestone.id, x.overdue, x.days_late) for x in lines] == [
        ("M1", False, 0), ("M2", True, 1), ("M3", False, 0)]
