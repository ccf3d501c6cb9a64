"""The console's date windows over timestamps count UTC days, as the KPIs do."""

from __future__ import annotations

import datetime as dt

from techmatch.api.console.views.dashboard import in_range

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
CST = dt.timezone(dt.timedelta(hours=8))


def test_a_need_posted_early_on_the_1st_in_beijing_time_is_february_in_utc() -> None:
    """2026-03-01T07:00+08:00 is 2026-02-28T23:00Z: the 覆盖分析 range of March leaves it out
    like the KPIs' needs_posted (it used the timestamp's own local date)."""
    early = dt.datetime(2026, 3, 1, 7, 0, tzinfo=CST)
    assert not in_range(early, *MARCH)
    assert in_range(early, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert not in_range(early.isoformat(), *MARCH)
    assert in_range(dt.datetime(2026, 4, 1, 7, 59, tzinfo=CST), *MARCH)  # 03-31T23:59Z
    assert in_range(dt.datetime(2026, 3, 31, 23, 59), *MARCH)  # no zone: read as UTC
    assert in_range("2026-03-15", *MARCH)
    assert not in_range(None, *MARCH)
