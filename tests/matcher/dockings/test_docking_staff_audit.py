"""Defects staff met following dockings (helper audit): each test names what staff saw."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from techmatch.matcher.dockings import (
    Move,
    NewDocking,
    create_docking,
    docking_history,
    get_docking,
    move_docking,
)
from techmatch.matcher.dockings.importer import import_dockings
from techmatch.models.dockings import Contract
from techmatch.models.records import Achievement, Expert, Need
from techmatch.store import Store

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)  # a Monday
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)
# signed on the day of the move (T0), never after it; TRANSFER at DEC1 (a contract date is
# never after the day its signing is recorded)
LICENSE = Contract(contract_type="license", value_wan=120.5, signed_on=dt.date(2026, 11, 2))
TRANSFER = Contract(contract_type="transfer", value_wan=80, signed_on=dt.date(2026, 12, 1))
DEC1 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "home" / "store.sqlite")
    s.upsert([Need(id="n1", title="锂电池隔膜涂覆", city="苏州"),
              Need(id="n2", title="印染废水", city="绍兴"),
              Achievement(id="a1", title="陶瓷涂覆浆料"), Achievement(id="a2", title="粘结剂"),
              Expert(id="x1", name="李明")])
    return s


def _walk(store: Store, did: str, *stages: str) -> None:
    for stage in stages:
        d = get_docking(store, did)
        move_docking(store, did, Move(to=stage, version=d.version,
                                      contract=LICENSE if stage == "signed" else None),
                     now=T0)


def test_history_keeps_each_drop_reason_and_contract_after_a_reopen(store: Store) -> None:
    """The history table showed '推荐 → 终止' with no reason, and a signing with no contract:
    once an admin reopened and staff decided again, the first reason / contract was gone."""
    d = create_docking(store, NewDocking("n1", "a1"), now=T0)
    move_docking(store, d.id, Move(to="dropped", reason="too_costly", reason_note="报价超预算",
                                   never_suggest=True, note="企业来电"), now=T0)
    move_docking(store, d.id, Move(to="contacted"), admin=True, now=T0)
    _walk(store, d.id, "confirmed", "negotiating", "signed")
    move_docking(store, d.id, Move(to="negotiating"), admin=True, now=T0)
    move_docking(store, d.id, Move(to="signed", contract=TRANSFER, note="改为转让"), now=DEC1)
    notes = [h.note for h in docking_history(store, d.id)]
    assert notes[1] == "终止原因：成本过高（报价超预算）；不再推荐；企业来电", notes
    assert notes[5] == "合同：技术许可，120.5 万元，签约日期 2026-11-02", notes
    assert notes[6] == "重新打开", notes
    assert notes[7] == "合同：技术转让，80 万元，签约日期 2026-12-01；改为转让", notes


def test_reopening_a_dropped_docking_leaves_a_closed_need_closed(store: Store) -> None:
    """An admin reopened a dropped docking of a need staff had closed (solved elsewhere):
    the need went back to 'open' and into the nightly batch, though nothing was signed."""
    d = create_docking(store, NewDocking("n2", "a1"), now=T0)
    move_docking(store, d.id, Move(to="dropped", reason="already_solved"), now=T0)
    need = store.get("n2", "need")
    store.upsert([need.model_copy(update={"status": "closed"})])
    move_docking(store, d.id, Move(to="suggested"), admin=True, now=T0)
    assert store.get("n2", "need").status == "closed"
    # The documented reopen still works: out of signed, the need is open again.
    e = create_docking(store, NewDocking("n1", "a2"), now=T0)
    _walk(store, e.id, "contacted", "confirmed", "negotiating", "signed")
    assert store.get("n1", "need").status == "matched"
    move_docking(store, e.id, Move(to="negotiating"), admin=True, now=T0)
    assert store.get("n1", "need").status == "open"


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(["需求编号,候选编号,阶段,创建日期,阶段日期", *lines]) + "\n",
                    encoding="utf-8")
    return path


def test_import_row_with_only_a_stage_date_is_loaded_from_that_date(store: Store,
                                                                    tmp_path: Path) -> None:
    """A ledger row '已联系, 阶段日期 2026-11-10' without a creation date was refused with
    'the stage date is before the creation date' (the creation date defaulted to now)."""
    report = import_dockings(store, _csv(tmp_path / "台账.csv", [
        "n1,a1,已联系,,2026-11-10",
        "n2,x1,,,2026-11-12"]), now=NOW)
    assert (report.imported, report.rejected) == (2, 0), report.errors
    first = get_docking(store, report.ids[0])
    assert (first.created_at.date(), first.stage_at.date()) == (dt.date(2026, 11, 10),
                                                                  dt.date(2026, 11, 10))
    assert [h.at.date() for h in docking_history(store, first.id)] == [dt.date(2026, 11, 10)] * 2
    second = get_docking(store, report.ids[1])
    assert second.created_at.date() == dt.date(2026, 11, 12)


def test_import_refuses_dates_in_the_future_naming_row_and_field(store: Store,
                                                                 tmp_path: Path) -> None:
    """A typo '2062-11-10' was loaded silently: the docking never counted in any KPI window
    and was due decades later, so it was never overdue."""
    report = import_dockings(store, _csv(tmp_path / "台账.csv", [
        "n1,a1,已联系,2026-11-02,2062-11-10",
        "n1,a2,推荐,2062-11-02,",
        "n2,a1,推荐,2026-11-30,",  # today (UTC) is fine
    ]), now=NOW)
    assert [(e.row, e.field) for e in report.errors] == [(2, "stage_at"), (3, "created_at")]
    assert "2062-11-10" in report.errors[0].message
    assert report.imported == 1


def test_feedback_moves_use_the_homes_service_levels(store: Store, tmp_path: Path) -> None:
    """Due dates of dockings moved by feedback ignored <home>/service_levels.json (holidays,
    stage days) while moves from the board used it."""
    from techmatch.matcher.dockings import load_levels
    from techmatch.matcher.feedback import record_feedback

    home = tmp_path / "home"
    (home / "service_levels.json").write_text(json.dumps({"days": {"contacted": 3}}),
                                              encoding="utf-8")
    record_feedback(store, "n1", "a1", label="contacted", levels=load_levels(home))
    from techmatch.store.dockings import DockingRepo

    docking = DockingRepo(store).find_pair("n1", "a1")
    assert docking is not None and docking.stage == "contacted"
    assert docking.due_on == load_levels(home).due_on("contacted", docking.stage_at)
    assert docking.due_on != load_levels(tmp_path / "nowhere").due_on("contacted",
                                                                      docking.stage_at)


def test_editing_a_need_keeps_its_posting_date_for_the_kpis(store: Store) -> None:
    """A need posted in January and corrected today from a sheet without a 发布日期 column
    was counted as posted today (发布需求数 of this month's KPIs), its January date lost."""
    from techmatch.matcher.dockings.kpis import kpi_report

    january = dt.datetime(2026, 1, 14, 8, 21, tzinfo=dt.timezone.utc)
    today = dt.datetime.now(dt.timezone.utc).date()
    store.upsert([Need(id="n9", title="高盐废水", city="苏州", created_at=january)])
    before = kpi_report(store, start=today, end=today, by=["city"]).total.counts
    report = store.upsert([Need(id="n9", title="高盐废水零排放（修订）", city="苏州")])
    assert report.updated == ["n9"]
    need = store.get("n9", "need")
    assert (need.title, need.created_at) == ("高盐废水零排放（修订）", january)
    now = kpi_report(store, start=today, end=today, by=["city"]).total.counts
    assert now["needs_posted"] == before["needs_posted"]  # the fixture's two needs
    then = kpi_report(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), by=["city"])
    assert then.total.counts["needs_posted"] == 1
    # A new record without a creation time still gets the time it was stored.
    store.upsert([Need(id="n10", title="新需求")])
    assert store.get("n10", "need").created_at.date() == today


def test_an_import_racing_another_writer_reports_the_row_instead_of_failing(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two staff uploaded the same ledger at once: the second upload failed with a database
    UNIQUE error (HTTP 500) and none of its good rows were stored, because rows were checked
    against existing dockings before the write transaction began."""
    from techmatch.store.dockings import DockingRepo

    other = Store(Path(store.url.removeprefix("sqlite:///")))
    original = DockingRepo.transaction
    fired: list[bool] = []

    def racing(self: DockingRepo):  # type: ignore[no-untyped-def]
        if not fired:  # another staff member's create lands just before this write
            fired.append(True)
            create_docking(other, NewDocking("n1", "a1"), actor="other")
        return original(self)

    monkeypatch.setattr(DockingRepo, "transaction", racing)
    report = import_dockings(store, _csv(tmp_path / "台账.csv", [
        "n1,a1,已联系,2026-11-02,2026-11-05",
        "n2,x1,推荐,2026-11-02,"]), now=NOW)
    assert fired and report.imported == 1
    assert [(e.row, e.field) for e in report.errors] == [(2, "candidate_id")]
    assert get_docking(store, report.ids[0]).need_id == "n2"
    other.close()


def test_changing_keep_open_after_acceptance_moves_the_need(store: Store) -> None:
    """Staff ticked 验收后保持开放 on an accepted (验收) docking whose need had closed — the
    need stayed closed; unticking it on another left its need matched. The flag only took
    effect on the move to 验收, not when it was changed afterwards."""
    from techmatch.matcher.dockings import Assign, assign_docking

    d = create_docking(store, NewDocking("n1", "a1"), now=T0)
    _walk(store, d.id, "contacted", "confirmed", "negotiating", "signed", "completed")
    assert store.get("n1", "need").status == "closed"
    assign_docking(store, d.id, Assign(keep_open=True))
    assert store.get("n1", "need").status == "matched"
    assign_docking(store, d.id, Assign(keep_open=False))
    assert store.get("n1", "need").status == "closed"
    e = create_docking(store, NewDocking("n2", "a2"), now=T0)
    _walk(store, e.id, "contacted", "confirmed", "negotiating", "signed")
    move_docking(store, e.id, Move(to="completed", keep_open=True), now=T0)
    assert store.get("n2", "need").status == "matched"
    assign_docking(store, e.id, Assign(owner="李四"))  # no keep-open change: need untouched
    assert store.get("n2", "need").status == "matched"
    assign_docking(store, e.id, Assign(keep_open=False))
    assert store.get("n2", "need").status == "closed"


def test_a_need_edit_racing_the_status_follow_up_is_not_lost(store: Store,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """One staff member corrected a need's title while another's write brought the need's
    status in line with its signed docking: the status follow-up wrote back the need it had
    read before the correction, and the corrected title was gone."""
    import threading

    from techmatch.matcher.dockings.effects import sync_needs

    d = create_docking(store, NewDocking("n1", "a1"), now=T0)
    _walk(store, d.id, "contacted", "confirmed", "negotiating", "signed")
    store.upsert([store.get("n1", "need").model_copy(update={"status": "open"})])
    other = Store(Path(store.url.removeprefix("sqlite:///")))
    done = threading.Event()

    def correct() -> None:
        other.upsert([Need(id="n1", title="锂电池隔膜涂覆（更正）", city="苏州",
                           status="matched")])
        done.set()

    original = Store.get
    writer = threading.Thread(target=correct)

    def get_then_race(self: Store, rid: str, kind: str | None = None):  # type: ignore[no-untyped-def]
        found = original(self, rid, kind)
        if self is store and rid == "n1" and not writer.is_alive() and not done.is_set():
            writer.start()  # the correction lands between the read and the write back,
            done.wait(timeout=2)  # unless the follow-up holds the records' lock (then it waits)
        return found

    monkeypatch.setattr(Store, "get", get_then_race)
    sync_needs(store, ["n1"])
    writer.join()
    monkeypatch.undo()
    need = store.get("n1", "need")
    assert (need.title, need.status) == ("锂电池隔膜涂覆（更正）", "matched")
    other.close()


def test_cli_shows_a_large_deal_without_an_exponent(store: Store) -> None:
    """`techmatch dockings get` printed a 1,000,000 万元 contract as '1e+06 万元' (%g), as the
    console's tiles once did."""
    from typer.testing import CliRunner

    from techmatch.cli import app

    d = create_docking(store, NewDocking("n1", "a1"), now=T0)
    _walk(store, d.id, "contacted", "confirmed", "negotiating")
    big = Contract(contract_type="equity", value_wan=1_000_000, signed_on=dt.date(2026, 11, 2))
    move_docking(store, d.id, Move(to="signed", contract=big), now=T0)
    home = Path(store.url.removeprefix("sqlite:///")).parent
    out = CliRunner().invoke(app, ["dockings", "get", d.id, "--home", str(home)])
    assert out.exit_code == 0, out.output
    assert "作价入股 1000000 万元 2026-11-02" in out.output and "e+" not in out.output


def test_imported_history_keeps_the_drop_reason_and_contract(store: Store,
                                                             tmp_path: Path) -> None:
    """An imported 终止 row's history read '表格导入：记为终止' (no reason) and a 签约 row's no
    contract: after an admin reopened them, the ledger's reason / contract was gone."""
    path = tmp_path / "台账.csv"
    path.write_text("需求编号,候选编号,阶段,终止原因,原因说明,合同类型,合同金额（万元）,签约日期,"
                    "创建日期,阶段日期\n"
                    "n1,a1,终止,其他,企业转产,,,,2026-11-02,2026-11-05\n"
                    "n2,a1,签约,,,技术开发,56.5,2026-11-20,2026-10-01,2026-11-20\n"
                    "n2,a2,验收,,,技术服务,8,2026-06-01,2026-05-01,2026-09-01\n",
                    encoding="utf-8")
    report = import_dockings(store, path, now=NOW)
    assert report.imported == 3, report.errors
    dropped, signed, completed = (docking_history(store, i)[-1].note for i in report.ids)
    assert dropped == "表格导入：记为终止；终止原因：其他（企业转产）"
    assert signed == "表格导入：记为签约；合同：技术开发，56.5 万元，签约日期 2026-11-20"
    assert completed == "表格导入：记为验收；合同：技术服务，8 万元，签约日期 2026-06-01"


def test_cli_kpis_names_the_bad_date_option(store: Store) -> None:
    """`techmatch kpis --from 2026-11-01 --to 2026-11-31` said "field 'from/to': not a date
    (YYYY-MM-DD): day is out of range for month" — neither which option nor the value."""
    from typer.testing import CliRunner

    from techmatch.cli import app

    home = Path(store.url.removeprefix("sqlite:///")).parent
    out = CliRunner().invoke(app, ["kpis", "--from", "2026-11-01", "--to", "2026-11-31",
                                   "--home", str(home)])
    assert out.exit_code == 2, out.output
    assert "字段 to：不是日期" in out.output and "2026-11-31" in out.output
    out = CliRunner().invoke(app, ["kpis", "--from", "11/01/2026", "--to", "2026-11-30",
                                   "--home", str(home)])
    assert "字段 from：不是日期" in out.output and "11/01/2026" in out.output


def test_import_accepts_todays_date_in_beijing_before_utc_midnight(store: Store,
                                                                   tmp_path: Path) -> None:
    """At 07:30 on 1 December in Beijing (23:30 UTC on 30 November) a ledger row dated
    2026-12-01 — today where staff sit — must load; two days ahead is still a typo."""
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.timezone.utc)
    report = import_dockings(store, _csv(tmp_path / "台账.csv", [
        "n1,a1,已联系,2026-11-28,2026-12-01",
        "n2,a1,推荐,2026-12-02,"]), now=late)
    assert [(e.row, e.field) for e in report.errors] == [(3, "created_at")]
    assert report.imported == 1
    docking = get_docking(store, report.ids[0])
    assert docking.stage_at <= late  # entered "today", never after the import itself
