"""Docking KPIs counted UTC days while the programme pages (统计日, milestones, events) use China
time: a deal signed at 01:30 on 2 December in Beijing (2026-12-01T17:30Z) counted on 1
December, a need posted then too, and a docking due on 1 December was not yet overdue until
08:00 Beijing time on the 2nd. Every docking day — KPI windows, needs posted, overdue today,
the console's date ranges, due dates of a stage entered — is now a China (UTC+8) day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.api.console.views.dashboard import in_range
from techmatch.matcher.dockings import DockingFilters, NewDocking, create_docking, list_dockings
from techmatch.matcher.dockings.kpis import NeedFacts, compute_kpis, need_facts
from techmatch.matcher.dockings.levels import ServiceLevels
from techmatch.models import programme as programme_models
from techmatch.models.records import Achievement, Need
from techmatch.store import Store
from techmatch.store.dockings import KpiDocking, KpiMove

UTC = dt.timezone.utc
LATE = dt.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 2026-12-02 01:30 in Beijing
DEC1, DEC2 = dt.date(2026, 12, 1), dt.date(2026, 12, 2)


def _text(at: dt.datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _signed_count(at: dt.datetime, start: dt.date, end: dt.date) -> int:
    created = "2026-11-01T00:00:00.000000+00:00"
    docking = KpiDocking("D1", "N1", None, None, "signed", 10.0, created, None)
    moves = [KpiMove("D1", 1, created, None, "suggested"),
             KpiMove("D1", 2, _text(at), "suggested", "signed")]
    report = compute_kpis([docking], moves, {"N1": NeedFacts("苏州", "新材料", None)},
                          start=start, end=end, today=DEC2)
    return report.total.counts["signed"]


def test_a_signing_at_1730_utc_counts_on_the_next_china_day() -> None:
    assert _signed_count(LATE, DEC2, DEC2) == 1
    assert _signed_count(LATE, DEC1, DEC1) == 0
    # the China day's edges: 16:00 UTC the day before, both ends inclusive
    assert _signed_count(dt.datetime(2026, 12, 1, 16, 0, tzinfo=UTC), DEC2, DEC2) == 1
    assert _signed_count(dt.datetime(2026, 12, 1, 15, 59, 59, 999999, tzinfo=UTC),
                         DEC2, DEC2) == 0
    assert _signed_count(dt.datetime(2026, 12, 2, 15, 59, 59, 999999, tzinfo=UTC),
                         DEC2, DEC2) == 1
    assert _signed_count(dt.datetime(2026, 12, 2, 16, 0, tzinfo=UTC), DEC2, DEC2) == 0
    assert _signed_count(LATE, dt.date.min, dt.date.max) == 1  # unbounded windows still work


def test_a_need_posted_at_1730_utc_is_posted_the_next_china_day() -> None:
    facts = need_facts([Need(id="N1", title="需求", created_at=LATE),
                        Need(id="N2", title="需求", created_at=LATE.replace(tzinfo=None))])
    assert facts["N1"].posted == DEC2
    assert facts["N2"].posted == DEC2  # no zone: stored times are UTC
    report = compute_kpis([], [], facts, start=DEC2, end=DEC2)
    assert report.total.counts["needs_posted"] == 2


def test_overdue_today_is_the_china_day(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    monkeypatch.setattr(programme_models, "_utcnow", lambda: LATE)
    created = "2026-11-20T00:00:00.000000+00:00"
    docking = KpiDocking("D1", "N1", None, None, "contacted", None, created, DEC1.isoformat())
    moves = [KpiMove("D1", 1, created, None, "suggested"),
             KpiMove("D1", 2, created, "suggested", "contacted")]
    report = compute_kpis([docking], moves, {"N1": NeedFacts("苏州", "新材料", None)},
                          start=DEC1, end=DEC1)  # no `today`: now, in China
    assert report.total.counts["overdue"] == 1
    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert([Need(id="N1", title="热失控预警"), Achievement(id="A1", title="液冷板")])
        made = create_docking(store, NewDocking("N1", "A1"),
                              now=dt.datetime(2026, 11, 20, 2, tzinfo=UTC))
        assert made.due_on is not None
        monkeypatch.setattr(programme_models, "_utcnow",
                            lambda: dt.datetime.combine(made.due_on, dt.time(17, 30),  # type: ignore[arg-type]
                                                        tzinfo=UTC))
        views, _ = list_dockings(store, DockingFilters())
        assert views[0].overdue  # the due date has passed in China
    finally:
        store.close()


def test_a_stage_entered_early_in_beijing_is_due_from_that_china_day() -> None:
    """Entered at 07:00 Monday 30 Nov in Beijing (Sunday 23:00 UTC): 5 working days after
    Monday is Monday 7 Dec, not Friday 4 Dec."""
    entered = dt.datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert ServiceLevels().due_on("suggested", entered) == dt.date(2026, 12, 7)


def test_console_ranges_count_china_days() -> None:
    china = dt.timezone(dt.timedelta(hours=8))
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert in_range(dt.datetime(2026, 3, 1, 7, 0, tzinfo=china), *march)
    assert in_range("2026-02-28T23:00:00+00:00", *march)
    assert not in_range(dt.datetime(2026, 3, 31, 16, 0, tzinfo=UTC), *march)
    assert in_range(dt.datetime(2026, 3, 31, 15, 59), *march)  # no zone: UTC
    assert in_range("2026-03-15", *march)
