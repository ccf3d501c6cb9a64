"""A docking signed, whose contract fell through, and signed again: the KPI funnel (`techmatch
kpis`, /v1/kpis, the 工作台 tiles) counted its first signing on the day that move was
recorded (and a contract that fell through as signed), while the deals (the programme
dashboard: national, city, industry and team rows) counted the standing contract on its
contract date. One rule now: a docking holding a contract (签约 / 验收) counts once as signed,
on its contract's 签约日期, with that contract's value, in every view; one whose contract fell
through counts in none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.api.console.views.dashboard import build_dashboard
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.dockings.kpis import kpi_report
from techmatch.matcher.programme.dashboard import dashboard
from techmatch.models.dockings import ContractTerms, Docking
from techmatch.models.programme import china_day
from techmatch.models.records import Achievement, Need
from techmatch.store import Store

UTC = dt.timezone.utc
TODAY = dt.date(2026, 12, 1)
MONTHS = {"10": (dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
          "11": (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
          "12": (dt.date(2026, 12, 1), dt.date(2026, 12, 31))}


def _at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "home" / "store.sqlite")
    s.upsert([Need(id="N1", title="轴承温升", city="苏州", industry="新材料",
                   created_at=_at(9, 1)),
              Achievement(id="A1", title="成果1"), Achievement(id="A2", title="成果2")])
    return s


def _negotiating(store: Store, cand: str) -> Docking:
    d = create_docking(store, NewDocking(need_id="N1", candidate_id=cand), now=_at(10, 1))
    for stage in ("contacted", "confirmed", "negotiating"):
        d = move_docking(store, d.id, Move(to=stage), now=_at(10, 2))
    return d


def _sign(store: Store, d: Docking, day: dt.date, value: float, now: dt.datetime) -> Docking:
    return move_docking(store, d.id, Move(to="signed", contract=ContractTerms(
        contract_type="license", value_wan=value, signed_on=day)), now=now)


def _views(store: Store, window: tuple[dt.date, dt.date]) -> dict[str, tuple[float, float]]:
    """(signed, deal value) of every view of the window."""
    start, end = window
    out: dict[str, tuple[float, float]] = {}
    for by in (("city",), ("industry",), ("city", "industry", "team", "owner")):
        report = kpi_report(store, start=start, end=end, by=by, today=TODAY)
        out[f"kpis total by {by[-1]}"] = (report.total.counts["signed"],
                                          report.total.deal_value)
        out[f"kpis rows by {by[-1]}"] = (sum(r.counts["signed"] for r in report.rows),
                                         sum(r.deal_value for r in report.rows))
    tiles = build_dashboard(store, threshold=0.5, start=start, end=end,
                            hidden=frozenset()).kpis
    out["工作台"] = (tiles.counts["signed"], tiles.deal_value)
    board = dashboard(store, start=start, end=end, today=TODAY)
    out["看板 全国"] = (board.national.cell("dockings_signed").actual,
                      board.national.cell("deal_value").actual)
    out["看板 城市"] = (sum(r.cell("dockings_signed").actual for r in board.cities),
                      sum(r.cell("deal_value").actual for r in board.cities))
    out["看板 行业"] = (sum(r.dockings_signed for r in board.by_industry),
                      sum(r.deal_value for r in board.by_industry))
    out["看板 服务团"] = (sum(r.dockings_signed for r in board.by_team),
                       sum(r.deal_value for r in board.by_team))
    return out


def _all(signed: float, value: float) -> dict[str, tuple[float, float]]:
    return dict.fromkeys(("kpis total by city", "kpis rows by city", "kpis total by industry",
                          "kpis rows by industry", "kpis total by owner", "kpis rows by owner",
                          "工作台", "看板 全国", "看板 城市", "看板 行业", "看板 服务团"),
                         (signed, value))


def test_a_docking_signed_again_counts_once_on_its_contract_date_in_every_view(
        store: Store) -> None:
    d = _sign(store, _negotiating(store, "A1"), dt.date(2026, 10, 20), 100.0, _at(10, 26))
    # the contract fell through: reopened to 洽谈 (admin), dropped, reopened, signed again
    d = move_docking(store, d.id, Move(to="negotiating"), admin=True, now=_at(11, 2))
    d = move_docking(store, d.id, Move(to="dropped", reason="too_costly"), now=_at(11, 3))
    d = move_docking(store, d.id, Move(to="negotiating"), admin=True, now=_at(11, 10))
    d = _sign(store, d, dt.date(2026, 11, 18), 80.0, _at(12, 1))  # entered on 1 December
    assert d.contract is not None and d.contract.signed_on == dt.date(2026, 11, 18)
    assert china_day(_at(12, 1)) == TODAY
    assert _views(store, MONTHS["10"]) == _all(0, 0.0)
    assert _views(store, MONTHS["11"]) == _all(1, 80.0)
    assert _views(store, MONTHS["12"]) == _all(0, 0.0)
    assert _views(store, (MONTHS["10"][0], MONTHS["12"][1])) == _all(1, 80.0)


def test_a_contract_that_fell_through_counts_in_no_view(store: Store) -> None:
    d = _sign(store, _negotiating(store, "A2"), dt.date(2026, 10, 20), 100.0, _at(10, 26))
    d = move_docking(store, d.id, Move(to="negotiating"), admin=True, now=_at(11, 2))
    move_docking(store, d.id, Move(to="dropped", reason="too_costly"), now=_at(11, 3))
    assert _views(store, (MONTHS["10"][0], MONTHS["12"][1])) == _all(0, 0.0)
    funnel = kpi_report(store, start=MONTHS["10"][0], end=MONTHS["12"][1], by=("city",),
                        today=TODAY).total
    # the stages before 签约 still count as reached, and the drop
    assert (funnel.counts["negotiating"], funnel.counts["dropped"]) == (1, 1)
