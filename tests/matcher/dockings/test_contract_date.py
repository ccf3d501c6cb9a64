"""签约日期: a deal counted on the day its move to 签约 was recorded, not on the contract's date,
so a contract signed on 20 November and entered on 1 December was a December deal in the
KPIs (signed, deal_value) and on the programme dashboard (dockings_signed, deal_value), and
November's numbers were short. Deals now count on the contract's date (a China date, not
after the day it is recorded, not before the docking was created; default: the recording
day); a signing without a date, or with a stored date after the day it was recorded, counts
on the recording day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.dockings.importer import import_dockings
from techmatch.matcher.dockings.kpis import kpi_report
from techmatch.matcher.programme.dashboard import dashboard
from techmatch.models.dockings import Contract, ContractTerms, Docking, HistoryEntry
from techmatch.models.records import Achievement, Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

UTC = dt.timezone.utc
CREATED = dt.datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
RECORDED = dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 December in Beijing
NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
DEC = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "home" / "store.sqlite")
    s.upsert([Need(id="N1", title="轴承温升", city="苏州", industry="新材料",
                   created_at=CREATED),
              *(Achievement(id=f"A{i}", title=f"成果{i}") for i in range(1, 8))])
    return s


def _negotiating(store: Store, cand: str, at: dt.datetime = CREATED) -> Docking:
    d = create_docking(store, NewDocking(need_id="N1", candidate_id=cand), now=at)
    for stage in ("contacted", "confirmed", "negotiating"):
        d = move_docking(store, d.id, Move(to=stage), now=at)
    return d


def _sign(store: Store, d: Docking, day: dt.date | None, value: float = 120.0,
          now: dt.datetime = RECORDED) -> Docking:
    return move_docking(store, d.id, Move(to="signed", contract=ContractTerms(
        contract_type="license", value_wan=value, signed_on=day)), now=now)


def _deals(store: Store, window: tuple[dt.date, dt.date]) -> tuple[int, float, int, float]:
    """(signed, deal_value) of the KPIs and (dockings_signed, deal_value) of the dashboard."""
    kpis = kpi_report(store, start=window[0], end=window[1], by=("city",),
                      today=dt.date(2026, 12, 1)).total
    board = dashboard(store, start=window[0], end=window[1], today=dt.date(2026, 12, 1))
    return (kpis.counts["signed"], kpis.deal_value,
            int(board.national.cell("dockings_signed").actual),
            board.national.cell("deal_value").actual)


def test_a_deal_entered_weeks_later_counts_on_its_contract_date(store: Store) -> None:
    signed = _sign(store, _negotiating(store, "A1"), dt.date(2026, 11, 20))
    assert signed.contract == Contract(contract_type="license", value_wan=120,
                                       signed_on=dt.date(2026, 11, 20))
    assert _deals(store, NOV) == (1, 120.0, 1, 120.0)
    assert _deals(store, DEC) == (0, 0.0, 0, 0.0)
    # the other steps keep the days they were recorded on
    dec = kpi_report(store, start=DEC[0], end=DEC[1], by=("city",), today=DEC[0]).total
    oct_ = kpi_report(store, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31),
                      by=("city",), today=DEC[0]).total
    assert (oct_.counts["negotiating"], oct_.counts["signed"], dec.counts["negotiating"]) == \
        (1, 0, 0)


def test_a_signing_without_a_date_is_dated_the_china_day_it_is_recorded(store: Store) -> None:
    late = dt.datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 01:00 on 1 December in Beijing
    signed = _sign(store, _negotiating(store, "A1"), None, now=late)
    assert signed.contract is not None and signed.contract.signed_on == dt.date(2026, 12, 1)
    note = DockingRepo(store).history(signed.id)[-1].note or ""
    assert "签约日期 2026-12-01" in note
    assert _deals(store, DEC)[:3] == (1, 120.0, 1)
    assert _deals(store, NOV)[:3] == (0, 0.0, 0)


@pytest.mark.parametrize(("day", "said"), [
    (dt.date(2026, 12, 2),
     "2026-12-02 晚于今天（2026-12-01，北京时间）：签约日期应为合同实际签订的日期"),
    (dt.date(2026, 10, 19),
     "2026-10-19 早于这条对接的创建日期（2026-10-20）：签约日期不能早于创建日"),
])
def test_a_contract_date_in_the_future_or_before_the_docking_is_refused(
        store: Store, day: dt.date, said: str) -> None:
    d = _negotiating(store, "A1")
    with pytest.raises(ValidationError) as caught:
        _sign(store, d, day)
    assert caught.value.field == "signed_on"
    assert caught.value.message.startswith(said), caught.value.message
    after = DockingRepo(store).get(d.id)
    assert (after.stage, after.version, after.contract) == ("negotiating", d.version, None)
    # the edges are allowed: the creation day and today (China dates)
    assert _sign(store, d, dt.date(2026, 10, 20)).contract is not None


def test_today_in_china_is_not_the_future(store: Store) -> None:
    early = dt.datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 04:00 on 1 December in Beijing
    signed = _sign(store, _negotiating(store, "A1"), dt.date(2026, 12, 1), now=early)
    assert signed.contract is not None and signed.contract.signed_on == dt.date(2026, 12, 1)


def test_deals_without_a_usable_date_keep_the_day_they_were_recorded(store: Store) -> None:
    """A 成交 judgement (no contract) and a deal stored before dates were checked with a date
    after the day it was recorded count on the recording day; a stored deal with an earlier
    contract date counts on that date."""
    repo = DockingRepo(store)
    for cand, day in (("A1", None), ("A2", dt.date(2027, 1, 5)), ("A3", dt.date(2026, 11, 3))):
        d = _negotiating(store, cand)
        contract = Contract(contract_type="service", value_wan=10, signed_on=day) \
            if day else None  # None: as a 成交 judgement signs (feedback.record_feedback)
        stored = d.model_copy(update={"stage": "signed", "peak_stage": "signed",
                                      "version": d.version + 1, "stage_at": RECORDED,
                                      "contract": contract})
        with repo.transaction():
            repo.update(stored, expected_version=d.version, entry=HistoryEntry(
                docking_id=d.id, version=d.version + 1, at=RECORDED, actor="legacy",
                from_stage="negotiating", to_stage="signed"))
    assert _deals(store, DEC) == (2, 10.0, 2, 10.0)  # the judgement and the 2027 typo
    assert _deals(store, NOV) == (1, 10.0, 1, 10.0)


def test_a_deal_signed_again_counts_once_on_its_latest_contract(store: Store) -> None:
    d = _sign(store, _negotiating(store, "A1"), dt.date(2026, 10, 25),
              now=dt.datetime(2026, 10, 26, 2, 0, tzinfo=UTC))
    d = move_docking(store, d.id, Move(to="negotiating"), admin=True,
                     now=dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC))  # the contract fell through
    _sign(store, d, dt.date(2026, 11, 18), value=80.0)
    # the funnel and the dashboard alike: the standing contract, on its date
    assert _deals(store, NOV) == (1, 80.0, 1, 80.0)
    assert _deals(store, DEC) == (0, 0.0, 0, 0.0)
    oct_ = kpi_report(store, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31),
                      by=("city",), today=DEC[0]).total
    assert oct_.counts["signed"] == 0  # not the first signing of 26 October, which fell through


HEADERS = "需求编号,候选编号,阶段,合同类型,合同金额（万元）,签约日期,创建日期,阶段日期\n"


def test_the_docking_import_reads_checks_and_counts_the_contract_date(store: Store,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "台账.csv"
    path.write_text(HEADERS + "\n".join([
        "N1,A1,签约,技术许可,50,2026-11-20,2026-10-20,2026-12-01",  # entered late: November
        "N1,A2,签约,技术许可,30,2026/11/15,,",  # no other date: created and signed that day
        "N1,A3,验收,技术服务,20,,2026-10-01,2026-11-25",  # no date: the stage date's
        "N1,A4,签约,技术许可,1,2026-12-05,2026-10-20,",  # after today
        "N1,A5,签约,技术许可,1,2026-11-01,2026-11-10,2026-11-20",  # before creation
        "N1,A6,签约,技术许可,1,2026-11-20,2026-11-01,2026-11-10",  # after the stage date
        "N1,A7,签约,技术许可,1,下周,2026-11-01,",  # not a date
    ]) + "\n", encoding="utf-8")
    report = import_dockings(store, path, now=RECORDED)
    assert (report.imported, report.rejected) == (3, 4), report.errors
    assert [(e.row, e.field) for e in report.errors] == [
        (5, "signed_on"), (6, "signed_on"), (7, "signed_on"), (8, "signed_on")]
    said = [e.message for e in report.errors]
    assert said[0].startswith("2026-12-05 晚于今天（2026-12-01，北京时间）")
    assert said[1].startswith("2026-11-01 早于这条对接的创建日期（2026-11-10）")
    assert said[2].startswith("2026-11-20 晚于阶段日期（2026-11-10）")
    found = {d.candidate_id: d for d in DockingRepo(store).all()}
    assert {c: (d.contract.signed_on if d.contract else None, d.created_at.date())
            for c, d in found.items()} == {
        "A1": (dt.date(2026, 11, 20), dt.date(2026, 10, 20)),
        "A2": (dt.date(2026, 11, 15), dt.date(2026, 11, 15)),
        "A3": (dt.date(2026, 11, 25), dt.date(2026, 10, 1))}
    assert _deals(store, NOV) == (3, 100.0, 3, 100.0)
    assert _deals(store, DEC) == (0, 0.0, 0, 0.0)
