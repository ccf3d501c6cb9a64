"""Defects staff met walking the console (dashboard, lists, coverage, upload, plans), without a
browser: the presenters and helpers behind each page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def test_a_start_after_the_end_is_named_not_silently_empty() -> None:
    """需求库 / 成果库 / 专家库, 覆盖分析 and 活动 with 起 after 止 listed nothing (0 条, all
    tiles 0) and said nothing; 工作台 and 项目看板 already said 起始日期不能晚于截止日期."""
    from techmatch.api.console.pages.common import date_range

    errors: dict[str, str] = {}
    assert date_range({"from": "2026-05-01", "to": "2026-01-01"}, errors) == (None, None)
    assert errors == {"from": "起始日期不能晚于截止日期"}
    errors = {}
    assert date_range({"from": "2026-01-01", "to": "2026-05-01"}, errors) == (
        dt.date(2026, 1, 1), dt.date(2026, 5, 1))
    assert date_range({"from": "2026-01-01", "to": "2026-01-01"}, errors) == (
        dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    assert date_range({"to": "2026-01-01"}, errors) == (None, dt.date(2026, 1, 1))
    assert errors == {}
    assert date_range({"from": "2026-13-01", "to": "2026-01-01"}, errors) == (
        None, dt.date(2026, 1, 1))
    assert set(errors) == {"from"} and "YYYY-MM-DD" in errors["from"]


def _page(template: str, **context: object) -> str:
    import re

    from techmatch.api.console.deps import TEMPLATES

    html = TEMPLATES.env.get_template(template).render(nav=[], staff=None, csrf="", **context)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
