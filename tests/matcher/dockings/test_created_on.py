"""创建日期 when creating a docking: staff who record today a docking whose deal was signed last
month could not sign it with its contract date (a 签约日期 before the docking's creation day is
refused) except through the import. Creating a docking now takes an optional creation date
(China date, not after today), stored as the import stores a back-dated creation (the
docking's created_at and its first history entry on that day); the history entry says when
the row was actually recorded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.dockings.importer import ImportReport, import_dockings
from techmatch.matcher.dockings.kpis import kpi_report
from techmatch.models.dockings import ContractTerms
from techmatch.models.programme import china_day
from techmatch.models.records import Achievement, Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 1, 6, 5, tzinfo=UTC)  # 14:05 on 1 December in Beijing
NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "home" / "store.sqlite")
    s.upsert([Need(id="N1", title="轴承温升", city="苏州", industry="新材料"),
              Achievement(id="A1", title="成果1"), Achievement(id="A2", title="成果2")])
    return s


def test_a_docking_recorded_late_is_created_on_its_day_and_signs_with_its_contract_date(
        store: Store) -> None:
    d = create_docking(store, NewDocking(need_id="N1", candidate_id="A1",
                                         created_on=dt.date(2026, 11, 3)), now=NOW)
    assert china_day(d.created_at) == dt.date(2026, 11, 3)
    assert d.created_at == d.stage_at < NOW
    first = DockingRepo(store).history(d.id)[0]
    assert first.at == d.created_at  # as the import: the history starts on the creation day
    # … and says when the row was actually recorded
    said = "补录：创建日期 2026-11-03，实际录入于 2026-12-01 14:05（北京时间）"
    assert said in (first.note or "")
    for stage in ("contacted", "confirmed", "negotiating"):
        d = move_docking(store, d.id, Move(to=stage), now=NOW)
    signed = move_docking(store, d.id, Move(to="signed", contract=ContractTerms(
        contract_type="license", value_wan=50, signed_on=dt.date(2026, 11, 20))), now=NOW)
    assert signed.contract is not None
    assert signed.contract.signed_on == dt.date(2026, 11, 20)
    nov = kpi_report(store, start=NOV[0], end=NOV[1], by=("city",),
                     today=china_day(NOW)).total
    assert (nov.counts["suggested"], nov.counts["signed"], nov.deal_value) == (1, 1, 50.0)


def test_a_contract_before_the_given_creation_date_is_still_refused(store: Store) -> None:
    d = create_docking(store, NewDocking(need_id="N1", candidate_id="A1",
                                         created_on=dt.date(2026, 11, 10)), now=NOW)
    for stage in ("contacted", "confirmed", "negotiating"):
        d = move_docking(store, d.id, Move(to=stage), now=NOW)
    with pytest.raises(ValidationError) as caught:
        move_docking(store, d.id, Move(to="signed", contract=ContractTerms(
            contract_type="license", value_wan=5, signed_on=dt.date(2026, 11, 9))), now=NOW)
    assert caught.value.field == "signed_on"
    assert "早于这条对接的创建日期（2026-11-10）" in caught.value.message
    assert "新建对接时填写创建日期" in caught.value.message


def test_a_creation_date_after_today_in_china_is_refused_naming_the_field(
        store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        create_docking(store, NewDocking(need_id="N1", candidate_id="A1",
                                         created_on=dt.date(2026, 12, 2)), now=NOW)
    assert caught.value.field == "created_on"
    assert caught.value.message.startswith(
        "2026-12-02 晚于今天（2026-12-01，北京时间）：创建日期不能晚于今天"), caught.value.message
    assert DockingRepo(store).all() == []


def test_today_in_china_is_not_the_future_and_keeps_the_recording_time(store: Store) -> None:
    early = dt.datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 04:00 on 1 December in Beijing
    d = create_docking(store, NewDocking(need_id="N1", candidate_id="A2",
                                         created_on=dt.date(2026, 12, 1)), now=early)
    assert d.created_at == early
    assert "补录" not in (DockingRepo(store).history(d.id)[0].note or "")


def _import(store: Store, tmp_path: Path, csv: str, now: dt.datetime) -> ImportReport:
    path = tmp_path / "台账.csv"
    path.write_text(csv, encoding="utf-8")
    return import_dockings(store, path, now=now)


def test_the_import_refuses_a_date_after_today_in_china(store: Store, tmp_path: Path) -> None:
    """The import compared its 创建日期 / 阶段日期 with today at UTC+14: from 18:00 Beijing
    time a row dated tomorrow (China) was taken, as creating refuses it."""
    evening = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 20:00 on 1 December in Beijing
    report = _import(store, tmp_path, "需求编号,候选编号,阶段,创建日期,阶段日期\n"
                     "N1,A1,推荐,2026-12-02,\nN1,A2,已联系,2026-12-01,2026-12-02\n", evening)
    assert [(e.row, e.field, e.message) for e in report.errors] == [
        (2, "created_at", "日期晚于今天：2026-12-02"),
        (3, "stage_at", "日期晚于今天：2026-12-02")]
    assert report.imported == 0


def test_an_imported_row_notes_when_it_was_really_recorded(store: Store,
                                                          tmp_path: Path) -> None:
    """The import stored a back-dated row's history from its 创建日期 on, with nothing saying
    when it was entered; its first entry now says so (a row without dates is recorded now)."""
    report = _import(store, tmp_path, "需求编号,候选编号,阶段,创建日期\n"
                     "N1,A1,推荐,2026-11-03\nN1,A2,推荐,\n", NOW)
    assert report.imported == 2, report.errors
    notes = {d.candidate_id: DockingRepo(store).history(d.id)[0].note
             for d in DockingRepo(store).all()}
    assert notes == {
        "A1": "表格导入；补录：创建日期 2026-11-03，实际录入于 2026-12-01 14:05（北京时间）",
        "A2": "表格导入"}
