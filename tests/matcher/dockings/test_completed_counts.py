"""A docking completed (验收) and then reopened counted as 验收 in the KPI funnel but not as
签约: every docking that ever reached 验收 counted, so 签约→验收 conversion could exceed 1.
验收 now follows the deal rule: a docking counts as completed only while it stands at 验收,
with its deal, on the contract's date (签约日期), in every view (funnel total and rows by
city, industry and owner, the 工作台 tiles)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.api.console.views.dashboard import build_dashboard
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.dockings.kpis import kpi_report
from techmatch.models.dockings import ContractTerms, Docking
from techmatch.models.records import Achievement, Need
from techmatch.store import Store

UTC = dt.timezone.utc
TODAY = dt.date(2026, 12, 1)
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
ALL = (dt.date(2026, 9, 1), dt.date(2026, 12, 31))


def _at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "home" / "store.sqlite")
    s.upsert([Need(id="N1", title="轴承温升", city="苏州", industry="新材料",
                   created_at=_at(9, 1)),
              Need(id="N2", title="涂层", city="无锡", industry="新材料", created_at=_at(9, 1)),
              Achievement(id="A1", title="成果1"), Achievement(id="A2", title="成果2")])
    return s


def _completed(store: Store, need: str, cand: str, signed_on: dt.date) -> Docking:
    d = create_docking(store, NewDocking(need_id=need, candidate_id=cand), now=_at(10, 1))
    for stage in ("contacted", "confirmed", "negotiating"):
        d = move_docking(store, d.id, Move(to=stage), now=_at(10, 2))
    d = move_docking(store, d.id, Move(to="signed", contract=ContractTerms(
        contract_type="license", value_wan=50.0, signed_on=signed_on)), now=_at(10, 26))
    return move_docking(store, d.id, Move(to="completed"), now=_at(11, 5))


def _views(store: Store, window: tuple[dt.date, dt.date]) -> dict[str, tuple[int, int]]:
    """(signed, completed) of every view of the window."""
    start, end = window
    out: dict[str, tuple[int, int]] = {}
    for by in (("city",), ("industry",), ("city", "industry", "team", "owner")):
        report = kpi_report(store, start=start, end=end, by=by, today=TODAY)
        out[f"total by {by[-1]}"] = (report.total.counts["signed"],
                                     report.total.counts["completed"])
        out[f"rows by {by[-1]}"] = (sum(r.counts["signed"] for r in report.rows),
                                    sum(r.counts["completed"] for r in report.rows))
        for row in [*report.rows, report.total]:
            ratio = row.conversion["signed_to_completed"]
            assert ratio is None or ratio <= 1, (by, row.group, ratio)
    tiles = build_dashboard(store, threshold=0.5, start=start, end=end,
                            hidden=frozenset()).kpis
    out["工作台"] = (tiles.counts["signed"], tiles.counts["completed"])
    return out


def _all(signed: int, completed: int) -> dict[str, tuple[int, int]]:
    return dict.fromkeys(("total by city", "rows by city", "total by industry",
                          "rows by industry", "total by owner", "rows by owner", "工作台"),
                         (signed, completed))


def test_a_completed_docking_reopened_counts_as_completed_in_no_view(store: Store) -> None:
    kept = _completed(store, "N1", "A1", dt.date(2026, 10, 20))  # stays at 验收
    d = _completed(store, "N2", "A2", dt.date(2026, 10, 22))
    assert _views(store, ALL) == _all(2, 2)
    # 验收 reopened: back to 签约 (the contract holds) — a deal, not completed
    d = move_docking(store, d.id, Move(to="signed"), admin=True, now=_at(11, 10))
    assert _views(store, ALL) == _all(2, 1)
    # the contract fell through: reopened to 洽谈, then dropped — neither signed nor completed
    d = move_docking(store, d.id, Move(to="negotiating"), admin=True, now=_at(11, 12))
    assert _views(store, ALL) == _all(1, 1)
    move_docking(store, d.id, Move(to="dropped", reason="too_costly"), now=_at(11, 13))
    assert _views(store, ALL) == _all(1, 1)
    # 验收 counts with its deal, on the contract's date (October), not the day 验收 was
    # recorded (5 November)
    assert kept.stage == "completed"
    assert _views(store, OCT) == _all(1, 1)
    assert _views(store, NOV) == _all(0, 0)
    funnel = kpi_report(store, start=ALL[0], end=ALL[1], by=("city",), today=TODAY).total
    assert funnel.conversion["signed_to_completed"] == 1.0
    assert (funnel.counts["negotiating"], funnel.counts["dropped"]) == (2, 1)
