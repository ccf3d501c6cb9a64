"""KPIs filtered to one city (rows and the 合计 total cover that city only); the China date
of a need posted without a time zone (read as UTC, never as the server's local time)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.dockings.kpis import compute_kpis, kpi_report, need_facts
from techmatch.models.dockings import Contract
from techmatch.models.records import Achievement, Need
from techmatch.store import Store

UTC = dt.timezone.utc
START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


def _signed(store: Store, need_id: str, achievement_id: str, value: float) -> None:
    at = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    docking = create_docking(store, NewDocking(need_id=need_id, candidate_id=achievement_id),
                             now=at)
    for stage in ("contacted", "confirmed", "negotiating"):
        at += dt.timedelta(days=1)
        move_docking(store, docking.id, Move(to=stage), now=at)
    contract = Contract(contract_type="transfer", value_wan=value, signed_on=at.date())
    move_docking(store, docking.id, Move(to="signed", contract=contract),
                 now=at + dt.timedelta(days=1))


def test_a_city_filter_totals_that_city_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    posted = dt.datetime(2026, 3, 1, 8, tzinfo=UTC)
    store.upsert([
        Need(id="N1", title="苏州需求", city="苏州", industry="新材料", created_at=posted),
        Need(id="N2", title="无锡需求", city="无锡", industry="新材料", created_at=posted),
        Need(id="N3", title="无锡需求二", city="无锡", industry="新材料", created_at=posted),
        *(Achievement(id=f"A{i}", title=f"成果{i}") for i in range(3))])
    _signed(store, "N1", "A0", 100.0)
    _signed(store, "N2", "A1", 40.0)
    report = kpi_report(store, start=START, end=END, by=["city", "industry"],
                        filters={"city": "蘇州"})  # traditional: the same city
    assert [r.group["city"] for r in report.rows] == ["苏州"]
    total = report.total
    assert (total.counts["signed"], total.deal_value) == (1, 100.0)
    assert (total.counts["needs_posted"], total.counts["suggested"]) == (1, 1)
    assert total.conversion["suggested_to_signed"] == 1.0
    everywhere = kpi_report(store, start=START, end=END, by=["city"])
    assert (everywhere.total.counts["signed"], everywhere.total.deal_value) == (2, 140.0)
    assert everywhere.total.counts["needs_posted"] == 3
    with pytest.raises(ValidationError) as err:
        kpi_report(store, start=START, end=END, by=["city"], filters={"colour": "红"})
    assert err.value.field == "colour" and "未知筛选维度 colour" in str(err.value)
    store.close()


@pytest.fixture
def shanghai_clock(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The server's local time zone is Asia/Shanghai (UTC+8) for the test."""
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("shanghai_clock")
def test_a_need_posted_without_a_time_zone_counts_on_its_china_date_on_any_server() -> None:
    """2026-02-28T20:00 without a zone is read as UTC (03-01 04:00 in China: posted 03-01),
    not as the server's local time (which on a UTC+8 server made it 02-28)."""
    facts = need_facts([Need(id="N1", title="需求", city="苏州",
                             created_at=dt.datetime(2026, 2, 28, 20, 0))])
    assert facts["N1"].posted == dt.date(2026, 3, 1)
    aware = need_facts([Need(id="N2", title="需求", created_at=dt.datetime(
        2026, 3, 1, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))])
    assert aware["N2"].posted == dt.date(2026, 3, 1)
    report = compute_kpis([], [], facts, start=START, end=END)
    assert report.total.counts["needs_posted"] == 1
