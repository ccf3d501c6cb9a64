"""A programme manager's checks of the KPI dashboard across CLI, API JSON and exports: targets
of 0, event statuses with their labels, downloads named after their city, China's day."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.programme import (
    dashboard,
    get,
    import_file,
    items,
    list_events,
    list_targets,
    overdue_milestones,
    save,
    set_targets,
)
from techmatch.matcher.programme.dashboard import Dashboard
from techmatch.matcher.programme.exports import dashboard_sheets
from techmatch.models import programme as programme_models
from techmatch.models.dockings import Contract
from techmatch.models.programme import (
    Event,
    Milestone,
    Participant,
    PilotCity,
    Target,
    Team,
)
from techmatch.models.records import Achievement, Need
from techmatch.store import Store


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    """A programme store of the test's own, closed afterwards."""
    opened = Store(tmp_path / "store.sqlite")
    yield opened
    opened.close()


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["programme", *args, "--home", str(home)])
    return result.exit_code, result.stdout, result.stderr


def test_cli_dashboard_shows_a_target_of_zero(tmp_path: Path) -> None:
    """A city given 0 roadshows (none planned) that held one reads 1/0, and a metric with a
    target of 0 and nothing done still shows 0/0: the target was set, it is no blank."""
    home = tmp_path / "home"
    targets = tmp_path / "targets.csv"
    targets.write_text("年度,城市,指标,目标值\n2026,苏州,技术路演场次,0\n2026,苏州,培训场次,0\n",
                       encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text("编号,活动类型,活动名称,日期,城市,状态\n"
                      "EV1,技术路演,路演,2026-05-12,苏州,已举办\n", encoding="utf-8")
    assert _run(home, "import", "target", str(targets))[0] == 0
    assert _run(home, "import", "event", str(events))[0] == 0
    code, out, err = _run(home, "dashboard", "--from", "2026-01-01", "--to", "2026-12-31",
                          "--today", "2026-11-30")
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("苏州:"))
    assert "技术路演场次 1/0" in line
    assert "培训场次 0/0" in line


def test_dashboard_json_gives_each_event_status_its_chinese_label(store: Store) -> None:
    """The JSON keeps the stable code `held` and, beside it, the 已举办 the page shows."""
    save(store, "event", [Event(id="EV1", type="forum", title="论坛", city="苏州",
                                date=dt.date(2026, 5, 1), status="held"),
                          Event(id="EV2", type="training", title="培训", city="苏州",
                                date=dt.date(2026, 6, 1))])
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30)).model_dump(mode="json")
    assert [(e["status"], e["status_label"]) for e in board["events"]] == [
        ("held", "已举办"), ("planned", "计划")]


def test_the_default_day_is_chinas_not_the_servers(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """At 06:00 on 12-01 in China (22:00 UTC on 11-30) a milestone due 11-30 is one day late
    and the default 统计日 is 12-01: a UTC server said 11-30 and showed nothing overdue."""
    monkeypatch.setattr(programme_models, "_utcnow",
                        lambda: dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.timezone.utc))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    home = tmp_path / "home"
    milestones = tmp_path / "milestones.jsonl"
    milestones.write_text('{"id": "M1", "year": 2026, "city": "苏州", "title": "年度总结", '
                          '"due": "2026-11-30"}\n', encoding="utf-8")
    try:
        assert _run(home, "import", "milestone", str(milestones))[0] == 0
        code, out, _ = _run(home, "overdue", "--json")
        assert code == 0 and [o["days_late"] for o in json.loads(out)] == [1]
        store = Store(home / "store.sqlite")
        try:
            board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
        finally:
            store.close()
        assert board.today == dt.date(2026, 12, 1)
        assert [o.days_late for o in board.overdue] == [1]
    finally:
        monkeypatch.undo()
        time.tzset()


def _events_xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["编号", "活动类型", "活动名称", "日期", "城市", "状态"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_workbook_numbering_events_1_2_3_imports_as_its_csv_does(tmp_path: Path,
                                                                   store: Store) -> None:
    """Staff number events 101, 102 in Excel: the cells are numbers, and the import refused
    every row ('Input should be a valid string') while the same sheet saved as CSV loaded."""
    book = _events_xlsx(tmp_path / "events.xlsx", [
        [101, "技术路演", "路演一", dt.datetime(2026, 3, 1), "苏州", "已举办"],
        [102.0, "培训", "培训一", dt.datetime(2026, 3, 2), "苏州", "计划"]])
    report = import_file(store, "event", book)
    assert report.errors == [] and report.created == ["101", "102"]
    assert get(store, "event", "101").title == "路演一"


def test_programme_dates_read_as_staff_write_them(tmp_path: Path, store: Store) -> None:
    """2026/3/2 (Excel's display), 2026年3月4日 and a date cell stored as its serial number
    (46085 = 2026-03-05) load as the record ingest reads them; 2026/13/1 stays a row error
    naming the date field."""
    book = _events_xlsx(tmp_path / "events.xlsx", [
        ["EV1", "技术路演", "路演一", "2026/3/2", "苏州", "已举办"],
        ["EV2", "培训", "培训一", "2026年3月4日", "苏州", "计划"],
        ["EV3", "论坛", "论坛一", 46086, "苏州", "计划"],
        ["EV4", "论坛", "论坛二", "2026/13/1", "苏州", "计划"]])
    report = import_file(store, "event", book)
    assert [(e.row, e.field) for e in report.errors] == [(5, "date")]
    assert [(e.id, e.date) for e in items(store, "event")] == [
        ("EV1", dt.date(2026, 3, 2)), ("EV2", dt.date(2026, 3, 4)),
        ("EV3", dt.date(2026, 3, 5))]


def test_programme_import_maps_industries_onto_the_taxonomy_as_record_ingest_does(
        tmp_path: Path, store: Store) -> None:
    """An event of 高端芯片封装 stayed as written: the dashboard's industry rows showed it
    apart from 新一代信息技术产业 and nobody was told; 纺织服装 was kept without a word. Now
    the first is stored as 集成电路制造 and counts under 新一代信息技术产业, and both are reported
    by row (docs/programme.md: Imports)."""
    events = tmp_path / "events.csv"
    events.write_text("编号,活动类型,活动名称,日期,城市,行业,状态\n"
                      "EV1,技术路演,路演一,2026-03-01,苏州,高端芯片封装,已举办\n"
                      "EV2,培训,培训一,2026-03-02,苏州,纺织服装,已举办\n", encoding="utf-8")
    teams = tmp_path / "teams.csv"
    teams.write_text("编号,名称,服务行业,组建日期\nT1,服务团,高端芯片封装/新材料,2026-03-01\n",
                     encoding="utf-8")
    report = import_file(store, "event", events)
    assert get(store, "event", "EV1").industry == "集成电路制造"
    assert get(store, "event", "EV2").industry == "纺织服装"
    assert [w.split("：", 1)[0] for w in report.warnings] == [
        f"{events} 第 2 行，字段 industry", f"{events} 第 3 行，字段 industry"]
    assert "不在战略性新兴产业分类中" in report.warnings[1]
    team_report = import_file(store, "team", teams)
    assert get(store, "team", "T1").industries == ["集成电路制造", "新材料"]
    assert len(team_report.warnings) == 1
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30))
    assert [(r.key, r.events) for r in board.by_industry] == [
        ("新一代信息技术产业", 1), ("纺织服装", 1)]


def test_an_import_names_cities_that_are_not_registered_pilot_cities(tmp_path: Path,
                                                                     store: Store) -> None:
    """Targets typed for 苏州市 (the registry says 苏州) and a typo 苏洲 were stored without a
    word and made rows of their own on the 项目看板, while 苏州's row showed no target.
    They are still stored (a new pilot city may follow), but the import names them."""
    targets = tmp_path / "targets.csv"
    targets.write_text("年度,城市,指标,目标值\n2026,苏州市,签约对接数,5\n2026,苏洲,培训场次,2\n"
                       "2026,蘇州,服务企业数,9\n2026,全国,签约对接数,40\n"
                       "2026,苏州市,培训场次,3\n", encoding="utf-8")
    save(store, "city", [PilotCity(name="苏州", batch=1)])
    report = import_file(store, "target", targets)
    assert len(report.created) == 5
    assert report.warnings == [
        f"{targets}: 城市“苏州市”不是登记的试点城市（第 2、6 行），项目看板上单列一行",
        f"{targets}: 城市“苏洲”不是登记的试点城市（第 3 行），项目看板上单列一行"]


def test_load_folder_prints_the_imports_warnings(tmp_path: Path) -> None:
    """techmatch programme load-folder printed each file's errors but dropped its warnings
    (a city that is no pilot city, an industry off the taxonomy) that import prints."""
    folder = tmp_path / "programme"
    folder.mkdir()
    (folder / "pilot_cities.jsonl").write_text('{"name": "苏州", "batch": 1}\n',
                                               encoding="utf-8")
    (folder / "targets.csv").write_text("年度,城市,指标,目标值\n2026,苏州市,签约对接数,5\n",
                                        encoding="utf-8")
    code, out, err = _run(tmp_path / "home", "load-folder", str(folder))
    assert code == 0 and "目标：" in out
    assert "城市“苏州市”不是登记的试点城市（第 2 行）" in err
    code, _, err = _run(tmp_path / "home", "import", "target", str(folder / "targets.csv"))
    assert code == 0 and err.count(str(folder / "targets.csv")) == 1, err


def test_an_import_names_records_given_twice_in_one_file(tmp_path: Path, store: Store) -> None:
    """A sheet listing EV1 twice (or 杭州's 2026 服务企业数 target twice, 5 then 7) kept the last
    row and reported '1 created, 1 updated' on an empty store, so the first row's values were
    lost without a word; the import now says which rows repeat which record."""
    events = tmp_path / "events.csv"
    events.write_text("编号,活动类型,活动名称,日期,城市\nEV1,培训,培训一,2026-03-01,苏州\n"
                      "EV2,培训,培训二,2026-03-02,苏州\nEV1,论坛,论坛一,2026-03-03,苏州\n",
                      encoding="utf-8")
    targets = tmp_path / "targets.csv"
    targets.write_text("年度,城市,指标,目标值\n2026,杭州,服务企业数,5\n2026,杭州,服务企业数,7\n",
                       encoding="utf-8")
    report = import_file(store, "event", events)
    assert report.warnings == [
        f"{events}: 编号 EV1 在第 2、4 行重复出现，保存的是第 4 行"]
    assert get(store, "event", "EV1").type == "forum"
    report = import_file(store, "target", targets)
    assert report.warnings == [
        f"{targets}: 2026/杭州/enterprises_served 在第 2、3 行重复出现，保存的是第 3 行"]


def test_city_filters_of_lists_find_what_the_dashboard_counts_there(store: Store) -> None:
    """The 项目看板 counts 苏州's events written 蘇州 and the teams serving it; the 活动 list, the
    API / CLI lists, the milestones and the targets filtered to 苏州 compared the text exactly
    and missed them (a team, whose cities are a list, was never found by city)."""
    save(store, "event", [
        Event(id="EV1", type="forum", title="论坛", city="苏州", date=dt.date(2026, 5, 1)),
        Event(id="EV2", type="forum", title="论坛", city="蘇州", date=dt.date(2026, 6, 1)),
        Event(id="EV3", type="forum", title="论坛", city="无锡", date=dt.date(2026, 6, 1))])
    save(store, "team", [Team(id="T1", name="服务团", cities=["无锡", "蘇州"],
                              formed_on=dt.date(2026, 3, 1))])
    save(store, "milestone", [Milestone(id="M1", year=2026, city="蘇州", title="中期",
                                        due=dt.date(2026, 6, 30))])
    set_targets(store, [Target(year=2026, city="蘇州", metric="events", value=3)])
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      city="苏州", today=dt.date(2026, 11, 30))
    assert board.cities[0].cell("events").actual == 2
    assert [e.id for e in list_events(store, city="苏州")] == ["EV1", "EV2"]
    assert [t.id for t in items(store, "team", city="苏州")] == ["T1"]
    assert [m.id for m in items(store, "milestone", city="苏州")] == ["M1"]
    assert [o.milestone.id for o in overdue_milestones(store, today=dt.date(2026, 11, 30),
                                                         city="苏州")] == ["M1"]
    assert [t.value for t in list_targets(store, city="苏州")] == [3]


def test_a_target_set_again_under_another_writing_of_its_city_replaces_it(
        tmp_path: Path, store: Store) -> None:
    """苏州's 2026 活动场次 target entered as 蘇州 (4) and corrected as 苏州 (6) stayed two
    stored targets, and the 项目看板 showed the old 4 (the one sorting last)."""
    set_targets(store, [Target(year=2026, city="蘇州", metric="events", value=4)])
    set_targets(store, [Target(year=2026, city="苏州", metric="events", value=6)])
    assert [(t.city, t.value) for t in list_targets(store)] == [("苏州", 6)]
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30))
    assert board.cities[0].cell("events").target == 6
    assert board.national.cell("events").target == 6


def test_deal_values_add_up_without_float_noise(store: Store) -> None:
    """Deals of 0.1 and 0.2 万元 in two cities read 0.30000000000000004 in the national row,
    the team row and the XLSX (JSON too); sums are rounded as the KPIs round each group."""
    store.upsert([Need(id="N1", title="甲", city="苏州", industry="新材料"),
                  Need(id="N2", title="乙", city="无锡", industry="集成电路"),
                  Achievement(id="A1", title="成果一"), Achievement(id="A2", title="成果二")])
    at = dt.datetime(2026, 3, 5, tzinfo=dt.timezone.utc)
    for need, achievement, value in (("N1", "A1", 0.1), ("N2", "A2", 0.2)):
        docking = create_docking(store, NewDocking(need_id=need, candidate_id=achievement,
                                                   team="T1"), now=at)
        for stage in ("contacted", "confirmed", "negotiating"):
            move_docking(store, docking.id, Move(to=stage), now=at)
        move_docking(store, docking.id, Move(to="signed", contract=Contract(
            contract_type="transfer", value_wan=value, signed_on=at.date())), now=at)
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30))
    assert board.national.cell("deal_value").actual == 0.3
    assert [r.deal_value for r in board.by_team] == [0.3]
    national = next(s for s in dashboard_sheets(board) if s.title == "全国汇总")
    assert [r[4] for r in national.rows if r[3] == "deal_value"] == [0.3]


def test_an_event_planned_after_the_day_of_the_board_is_no_event_held_yet(
        tmp_path: Path, store: Store) -> None:
    """On 11-30 a training planned for 12-20 counted as done: 苏州 read 培训场次 1/1 (100 %)
    and its listed attendee as an enterprise served before the day came. It stays in the
    board's list of events, but counts once its day has come (or it is marked held)."""
    people = [Participant(role="attendee", kind="enterprise", name="甲公司")]
    save(store, "event", [
        Event(id="EV1", type="training", title="培训", city="苏州",
              date=dt.date(2026, 12, 20), participants=people),
        Event(id="EV2", type="forum", title="论坛", city="苏州", date=dt.date(2026, 11, 30),
              participants=people)])
    set_targets(store, [Target(year=2026, city="苏州", metric="events.training", value=1)])

    def board(day: dt.date) -> Dashboard:
        return dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                         today=day)

    early = board(dt.date(2026, 11, 30))
    row = early.cities[0]
    assert (row.cell("events.training").actual, row.cell("events").actual) == (0, 1)
    assert row.cell("enterprises_served").actual == 1
    assert [e.id for e in early.events] == ["EV2", "EV1"]
    late = board(dt.date(2026, 12, 20)).cities[0]
    assert (late.cell("events.training").actual, late.cell("events").actual) == (1, 2)


def test_a_city_board_says_which_city_it_is(store: Store) -> None:
    """苏州's exported workbook said only its dates in 概要 (and its 全国汇总 sheet holds the
    national numbers), so a file passed on could not be told from another city's; the JSON
    did not echo the city either. Both now name it (全部城市 for the national board)."""
    save(store, "city", [PilotCity(name="苏州", batch=1), PilotCity(name="无锡", batch=2)])
    boards = [dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                        city=city, today=dt.date(2026, 11, 30)) for city in ("蘇州", None)]
    assert [b.city for b in boards] == ["苏州", None]
    summaries = [dict(next(s for s in dashboard_sheets(b) if s.title == "概要").rows)
                 for b in boards]
    assert [s["城市"] for s in summaries] == ["苏州", "全部城市"]
    assert summaries[0]["签约计入日"].startswith("合同的签约日期（北京时间日期）")


def test_cli_dashboard_prints_the_notes_the_page_and_workbook_show(tmp_path: Path) -> None:
    """The console and the XLSX say 全国目标为各城市目标之和 beside a national target summed
    from the cities; the CLI's text printed 全国 …/5 without saying where the 5 came from."""
    home = tmp_path / "home"
    targets = tmp_path / "targets.csv"
    targets.write_text("年度,城市,指标,目标值\n2026,苏州,签约对接数,5\n", encoding="utf-8")
    assert _run(home, "import", "target", str(targets))[0] == 0
    code, out, err = _run(home, "dashboard", "--from", "2026-01-01", "--to", "2026-12-31",
                          "--today", "2026-11-30")
    assert code == 0, err
    assert "说明：签约对接数：全国目标为各城市目标之和" in out.splitlines()


def test_a_board_asked_for_a_city_it_knows_nothing_of_says_so(store: Store) -> None:
    """--city 苏洲 (a typo) printed the national row alone, as if 苏洲 simply had no row; the
    board now says the city is neither a pilot city nor in any record."""
    save(store, "city", [PilotCity(name="苏州", batch=1)])

    def notes(city: str) -> list[str]:
        return dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                         city=city, today=dt.date(2026, 11, 30)).notes

    assert notes("苏洲") == ["城市“苏洲”不是登记的试点城市，统计期内也没有它的记录"]
    assert notes("苏州") == []


def test_a_city_row_mixing_provinces_is_flagged(store: Store) -> None:
    """Needs of 朝阳 in 辽宁 and of 朝阳 in 北京 (two places) were summed into one 朝阳 row
    without a word; the board notes that the row joins several provinces (辽宁省 is 辽宁) when
    neither is a pilot city (a row by name). Changed deliberately: with the pilot city 朝阳 in
    辽宁 registered, the 北京 need is another place (its own row once it counts anything),
    not part of the pilot city's row, so there is nothing to flag."""
    store.upsert([Need(id="N1", title="甲", city="朝阳", province="辽宁省"),
                  Need(id="N2", title="乙", city="朝阳", province="北京"),
                  Need(id="N3", title="丙", city="朝阳", province="辽宁"),
                  Need(id="N4", title="丁", city="苏州", province="江苏")])
    save(store, "city", [PilotCity(name="苏州", province="江苏", batch=1)])
    set_targets(store, [Target(year=2026, city="朝阳", metric="events", value=2)])

    def board() -> Dashboard:
        return dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                         today=dt.date(2026, 11, 30))

    mixed = "城市“朝阳”的需求来自不同省份（北京、辽宁），同名城市合并为一行统计"
    assert board().notes[1:] == [mixed]
    save(store, "city", [PilotCity(name="朝阳", province="辽宁", batch=2)])
    assert board().notes[1:] == []
    assert [(r.city, r.city_id) for r in board().cities] == [("朝阳", "朝阳（辽宁）"),
                                                             ("苏州", "苏州（江苏）")]


def test_an_invitation_citing_a_missing_docking_does_not_take_the_board_down(
        tmp_path: Path, store: Store) -> None:
    """An event saved (API PUT or an import's participants column) with an invitation whose
    docking id does not exist made the whole 项目看板 404 (no docking with id 'D-nope') for
    every city; the event's line now counts only the dockings there are, and a note names
    the broken reference so staff can mend it."""
    invitee = Participant(role="invitee", kind="enterprise", name="甲公司", need_id="N1",
                          achievement_id="A1", status="docking", docking_id="D-nope")
    save(store, "event", [Event(id="EV1", type="roadshow", title="路演", city="苏州",
                                date=dt.date(2026, 3, 1), status="held",
                                participants=[invitee])])
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30))
    assert [(e.id, e.invitations, e.dockings, e.signed) for e in board.events] == [
        ("EV1", 1, 0, 0)]
    assert board.cities[0].cell("events.roadshow").actual == 1
    assert board.notes == ["活动 EV1 的邀请引用了不存在的对接 D-nope，未计入"]


def test_a_target_typed_for_the_wrong_city_can_be_removed(tmp_path: Path) -> None:
    """A target imported for 苏洲 (a typo) could be overwritten but never removed: its row
    stayed on the 项目看板 for good. `programme delete-target` removes it (any writing of
    the city, the metric by code or Chinese name); a missing one is exit 3 naming it."""
    home = tmp_path / "home"
    targets = tmp_path / "targets.csv"
    targets.write_text("年度,城市,指标,目标值\n2026,苏洲,签约对接数,5\n2026,苏州,签约对接数,4\n",
                       encoding="utf-8")
    assert _run(home, "import", "target", str(targets))[0] == 0
    code, out, err = _run(home, "delete-target", "2026", "苏洲", "签约对接数")
    assert code == 0, err
    code, out, _ = _run(home, "targets", "--json")
    assert [(t["city"], t["value"]) for t in json.loads(out)] == [("苏州", 4)]
    code, _, err = _run(home, "delete-target", "2026", "苏洲", "dockings_signed")
    assert code == 3 and "2026" in err and "苏洲" in err
    code, _, err = _run(home, "delete-target", "2026", "苏州", "签约数")
    assert code == 2 and "签约数" in err


def test_a_blank_city_filter_is_the_whole_board(store: Store) -> None:
    """GET /v1/programme/dashboard?city= (a form's empty 城市 choice) answered with the 未知
    row alone, where the console reads an empty choice as 全部城市; blank is no filter."""
    save(store, "city", [PilotCity(name="苏州", batch=1), PilotCity(name="无锡", batch=2)])
    boards = [dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                        city=city, today=dt.date(2026, 11, 30)) for city in ("", " ", None)]
    assert [[r.city for r in b.cities] for b in boards] == [["无锡", "苏州"]] * 3
    assert [b.city for b in boards] == [None] * 3


def test_a_years_board_lists_that_years_overdue_milestones(store: Store) -> None:
    """The 2025 board (as of 2026-11-30) listed 2026's overdue milestones among its 超期节点
    (and counted them on its tile); a board shows the milestones of the years it covers."""
    save(store, "milestone", [
        Milestone(id="M25", year=2025, city="苏州", title="2025 年度总结",
                  due=dt.date(2025, 12, 31)),
        Milestone(id="M26", year=2026, city="苏州", title="2026 中期评估",
                  due=dt.date(2026, 6, 30))])

    def overdue(start: dt.date, end: dt.date) -> list[str]:
        return [o.milestone.id for o in dashboard(
            store, start=start, end=end, today=dt.date(2026, 11, 30)).overdue]

    assert overdue(dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == ["M25"]
    assert overdue(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == ["M26"]
    assert overdue(dt.date(2025, 7, 1), dt.date(2026, 6, 30)) == ["M25", "M26"]


def test_a_national_count_that_is_not_the_sum_of_its_cities_says_why(tmp_path: Path) -> None:
    """A team serving 苏州 and 无锡 counts in both city columns and once in 全国 (4 / 6 on the
    samples), and a firm served in two cities is one enterprise nationally: the columns did
    not add up and nothing said why. The board notes each such metric with both numbers."""
    store = Store(tmp_path / "store.sqlite")
    people = [Participant(role="attendee", kind="enterprise", name="甲公司")]
    try:
        save(store, "team", [Team(id="T1", name="服务团", cities=["苏州", "无锡"],
                                  formed_on=dt.date(2026, 3, 1))])
        save(store, "event", [
            Event(id=f"EV{i}", type="forum", title="论坛", city=city, status="held",
                  date=dt.date(2026, 5, 1), participants=people)
            for i, city in enumerate(("苏州", "无锡"))])
        board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                          today=dt.date(2026, 11, 30))
    finally:
        store.close()
    assert board.notes == [
        "teams_formed: 全国 1 为去重后的数，各城市合计 2（服务多个城市的团队在每个城市各计一次）",
        "enterprises_served: 全国 1 为去重后的数，各城市合计 2"
        "（在多个城市受服务的企业在每个城市各计一次）"]


def test_target_numbers_read_as_staff_write_them(tmp_path: Path, store: Store) -> None:
    """A target sheet with 1,000 万元 (thousands separator, as Excel shows and exports it) and
    年度 2026年 refused those rows, where the docking import reads 1,000; both now load, and
    a word (几十) is still a row error naming the field."""
    targets = tmp_path / "targets.csv"
    targets.write_text('年度,城市,指标,目标值\n2026,苏州,签约金额（万元）,"1,000"\n'
                       "2026年,苏州,签约对接数,12\n2026,苏州,培训场次,几十\n", encoding="utf-8")
    report = import_file(store, "target", targets)
    assert [(e.row, e.field) for e in report.errors] == [(4, "value")]
    assert sorted((t.metric, t.value) for t in list_targets(store)) == [
        ("deal_value", 1000.0), ("dockings_signed", 12.0)]


def test_a_coded_value_not_understood_lists_the_chinese_choices(tmp_path: Path,
                                                                store: Store) -> None:
    """A sheet saying 路演 for the event type got "Input should be 'roadshow', 'training', …
    (got '路演')": codes the sheet's writer never saw. The error now lists the Chinese
    choices (技术路演、培训 …) beside the codes."""
    events = tmp_path / "events.csv"
    events.write_text("编号,活动类型,活动名称,日期,城市,状态\nEV1,路演,路演,2026-03-01,苏州,办完了\n",
                      encoding="utf-8")
    report = import_file(store, "event", events)
    messages = {e.field: e.message for e in report.errors}
    assert messages["type"] == ("“路演”不是可用的类型；可填：技术路演、培训、国际技术贸易、"
                                "决策咨询、论坛（或代码 roadshow、training、trade、consulting、"
                                "forum）")
    assert messages["status"].startswith("“办完了”不是可用的状态；可填：计划、已举办、取消")


def test_an_unknown_target_metric_lists_the_chinese_metric_names(tmp_path: Path,
                                                                 store: Store) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("年度,城市,指标,目标值\n2026,苏州,签约数,5\n", encoding="utf-8")
    [error] = import_file(store, "target", targets).errors
    assert error.field == "metric"
    assert error.message.startswith("“签约数”不是可用的指标；可填：组建服务团队数、服务企业数")


def test_a_team_imported_without_its_formation_date_is_named(tmp_path: Path, store: Store) -> None:
    """A team without 组建日期 is stored but can never count in 组建服务团队数 (no window
    holds it), and nothing said so; the import now names it."""
    teams = tmp_path / "teams.csv"
    teams.write_text("编号,名称,服务城市,组建日期\nT1,服务团一,苏州,2026-03-01\nT2,服务团二,苏州,\n",
                     encoding="utf-8")
    report = import_file(store, "team", teams)
    assert report.created == ["T1", "T2"]
    assert report.warnings == [
        f"{teams}: 团队 T2 没有组建日期（第 3 行），不计入任何统计期的组建服务团队数"]


def test_the_workbooks_completion_rates_are_numbers_that_sort(store: Store) -> None:
    """完成率 was written as text (133%, 33%, 5%): sorting cities by it in Excel put 133% before
    33% before 5% and a sum or average was impossible. It is now a number of percent."""
    save(store, "team", [Team(id=f"T{i}", name="服务团", cities=["苏州"],
                              formed_on=dt.date(2026, 3, 1)) for i in range(4)])
    set_targets(store, [Target(year=2026, city="苏州", metric="teams_formed", value=3),
                        Target(year=2026, city="苏州", metric="events", value=0)])
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30))
    sheet = next(s for s in dashboard_sheets(board) if s.title == "城市指标")
    assert sheet.headers[-1] == "完成率（%）"
    rates = {row[3]: row[6] for row in sheet.rows}
    assert rates["teams_formed"] == 133.3 and rates["events"] is None


def test_a_national_event_counts_nationally_and_says_so(store: Store) -> None:
    """An event held for the whole programme (城市 全国, e.g. a national forum) counted in the
    全国 column but in no city's, so the columns did not add up with no word why."""
    save(store, "event", [
        Event(id="EV1", type="forum", title="全国论坛", city="全国", status="held",
              date=dt.date(2026, 5, 1)),
        Event(id="EV2", type="forum", title="论坛", city="苏州", status="held",
              date=dt.date(2026, 6, 1))])
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30))
    assert [r.city for r in board.cities] == ["苏州"]
    assert board.national.cell("events").actual == 2
    assert board.notes == ["events: 全国 2 含城市填“全国”的记录 1，不在任何城市行中",
                           "events.forum: 全国 2 含城市填“全国”的记录 1，不在任何城市行中"]


def test_cli_list_shows_the_cities_a_team_serves(tmp_path: Path) -> None:
    """`programme list team` printed each team with an empty city (a team's cities are a
    list), so --city 苏州 answered lines that did not say 苏州."""
    home = tmp_path / "home"
    teams = tmp_path / "teams.csv"
    teams.write_text("编号,名称,服务城市,组建日期\nT1,长三角团队,苏州/杭州,2026-03-01\n",
                     encoding="utf-8")
    assert _run(home, "import", "team", str(teams))[0] == 0
    code, out, _ = _run(home, "list", "team", "--city", "苏州")
    assert code == 0 and out.splitlines() == ["T1  长三角团队  苏州、杭州"]


def test_an_import_reads_a_team_named_by_its_name_as_that_team(tmp_path: Path,
                                                               store: Store) -> None:
    """Events whose 服务团队 column gave the team's name (苏州新材料科技服务团) instead of its
    编号 T01 were stored with the name: on the board's team rows they made a row apart from
    T01's dispatches and deals. A registered team's name now reads as its id (noted by row);
    a team that is not registered is named in a warning."""
    events = tmp_path / "events.csv"
    events.write_text("编号,活动类型,活动名称,日期,城市,服务团队\n"
                      "EV1,培训,培训一,2026-03-01,苏州,苏州新材料科技服务团\n"
                      "EV2,培训,培训二,2026-03-02,苏州,T01\n"
                      "EV3,培训,培训三,2026-03-03,苏州,T99\n", encoding="utf-8")
    save(store, "team", [Team(id="T01", name="苏州新材料科技服务团", cities=["苏州"],
                              formed_on=dt.date(2026, 2, 20))])
    report = import_file(store, "event", events)
    assert [get(store, "event", i).team_id for i in ("EV1", "EV2", "EV3")] == [
        "T01", "T01", "T99"]
    assert report.warnings == [
        f"{events}: 服务团队“苏州新材料科技服务团”按名称读作 T01（第 2 行）",
        f"{events}: 服务团队“T99”不是登记的团队编号（第 4 行）"]
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30))
    assert [(r.key, r.events) for r in board.by_team] == [("T01", 2), ("T99", 1)]


def test_cli_dashboard_prints_large_amounts_without_an_exponent(tmp_path: Path) -> None:
    """A national 签约金额 target of 2,000,000 万元 printed as 0/2e+06, and 1234567 as
    1.23457e+06 (6 significant digits, the last ones lost); the text now reads the numbers
    as the console does (2000000, 1234567.5)."""
    home = tmp_path / "home"
    targets = tmp_path / "targets.csv"
    targets.write_text("年度,城市,指标,目标值\n2026,全国,签约金额（万元）,2000000\n"
                       "2026,苏州,签约金额（万元）,1234567.5\n", encoding="utf-8")
    assert _run(home, "import", "target", str(targets))[0] == 0
    code, out, err = _run(home, "dashboard", "--from", "2026-01-01", "--to", "2026-12-31",
                          "--today", "2026-11-30")
    assert code == 0, err
    lines = out.splitlines()
    assert "苏州: 签约金额（万元） 0/1234567.5" in lines
    assert "全国: 签约金额（万元） 0/2000000" in lines
