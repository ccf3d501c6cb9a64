"""The console's date windows over timestamps count China (UTC+8) days, as the KPIs do."""

from __future__ import annotations

import datetime as dt

from techmatch.api.console.views.dashboard import in_range

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
CST = dt.timezone(dt.timedelta(hours=8))


def test_a_need_posted_early_on_the_1st_in_beijing_time_is_march() -> None:
    """2026-03-01T07:00+08:00 is 2026-02-28T23:00Z: the 覆盖分析 range of March counts it like
    the KPIs' needs_posted (both counted UTC days before the KPIs moved to China days)."""
    early = dt.datetime(2026, 3, 1, 7, 0, tzinfo=CST)
    assert in_range(early, *MARCH)
    assert not in_range(early, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert in_range(early.isoformat(), *MARCH)
    assert not in_range(dt.datetime(2026, 4, 1, 7, 59, tzinfo=CST), *MARCH)
    assert in_range(dt.datetime(2026, 3, 31, 15, 59), *MARCH)  # no zone: read as UTC
    assert not in_range(dt.datetime(2026, 3, 31, 16, 0), *MARCH)
    assert in_range("2026-03-15", *MARCH)
    assert not in_range(None, *MARCH)
