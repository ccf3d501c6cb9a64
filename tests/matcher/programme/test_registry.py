"""Registries, imports with per-row errors, targets, overdue milestones and the dashboard on the
programme samples (no index needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from techmatch.errors import NotFoundError, ValidationError
from techmatch.matcher.programme import (
    dashboard,
    get,
    import_file,
    items,
    list_targets,
    overdue_milestones,
    remove,
    save,
)
from techmatch.matcher.programme.exports import draw_dashboard, write_dashboard_xlsx
from techmatch.matcher.programme.imports import import_folder
from techmatch.models.programme import Milestone
from techmatch.store import Store

PROGRAMME = Path(__file__).resolve().parents[3] / "data" / "samples" / "programme"
TODAY = dt.date(2026, 11, 30)
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store.sqlite")
    reports = import_folder(s, PROGRAMME)
    assert [e for r in reports for e in r.errors] == []
    yield s
    s.close()


def test_samples_load_into_every_registry(store: Store) -> None:
    counts = {kind: len(items(store, kind)) for kind in
              ("city", "organisation", "team", "dispatch", "workstation", "order", "event",
               "milestone")}
    assert counts == {"city": 8, "organisation": 6, "team": 4, "dispatch": 2,
                      "workstation": 1, "order": 2, "event": 4, "milestone": 3}
    ev = get(store, "event", "EV03")
    assert (ev.type, ev.overseas, ev.status, ev.team_id) == ("trade", True, "held", "T03")
    assert get(store, "event", "EV04").team_id is None
    assert get(store, "city", "成都").batch == 2
    assert [d.id for d in items(store, "dispatch", ref="T01")] == ["D01"]  # team history
    assert [o.id for o in items(store, "organisation", overseas=True)] == ["O06"]
    assert [e.id for e in items(store, "event", overseas=True)] == ["EV03"]
    with pytest.raises(ValidationError, match="milestone records have no overseas flag"):
        items(store, "milestone", overseas=True)
    assert [c.name for c in items(store, "city", start=dt.date(2026, 4, 1))] == [
        "成都", "西安", "合肥", "青岛"]
    targets = {(t.city, t.metric): t.value for t in list_targets(store, years=[2026])}
    assert targets[("苏州（江苏）", "events.training")] == 3  # stored under the pilot id
    assert targets[("全国", "dockings_signed")] == 40


def test_save_replaces_and_remove_deletes(store: Store) -> None:
    m = Milestone(id="M09", year=2026, city="苏州", title="补充节点", due=dt.date(2026, 8, 1))
    assert save(store, "milestone", [m]).created == ["M09"]
    done = m.model_copy(update={"done_on": dt.date(2026, 7, 30)})
    assert save(store, "milestone", [done]).updated == ["M09"]
    assert get(store, "milestone", "M09").done_on == dt.date(2026, 7, 30)
    remove(store, "milestone", "M09")
    with pytest.raises(NotFoundError):
        get(store, "milestone", "M09")
    with pytest.raises(ValidationError, match="未知登记类别 teams（可选：city（试点城市）"):
        items(store, "teams")


def test_import_reports_bad_rows_and_stores_the_good_ones(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text("编号,活动类型,活动名称,日期,城市\n"
                   "X1,培训,好的一行,2026-07-01,杭州\n"
                   "X2,茶话会,类型不对,2026-07-02,杭州\n"
                   "X3,论坛,日期不对,2026-13-40,杭州\n", encoding="utf-8")
    report = import_file(store, "event", bad)
    assert report.created == ["X1"] and report.as_dict()["rejected"] == 2
    by_row = {(e.row, e.field) for e in report.errors}
    assert by_row == {(3, "type"), (4, "date")}
    assert get(store, "event", "X1").type == "training"
    with pytest.raises(NotFoundError):
        get(store, "event", "X2")
    targets = tmp_path / "targets.csv"
    targets.write_text("年度,城市,指标,目标值\n2026,杭州,培训场次,2\n2026,杭州,喝茶次数,1\n",
                       encoding="utf-8")
    report = import_file(store, "target", targets)
    assert [(e.row, e.field) for e in report.errors] == [(3, "metric")]
    assert report.errors[0].message.startswith("“喝茶次数”不是可用的指标；可填：组建服务团队数")


def test_overdue_milestone_is_detected(store: Store) -> None:
    late = overdue_milestones(store, today=TODAY)
    assert [(o.milestone.id, o.days_late) for o in late] == [("M02", 122)]
    assert overdue_milestones(store, today=dt.date(2026, 7, 31)) == []  # due that day
    assert overdue_milestones(store, today=TODAY, city="苏州") == []


def test_an_enterprise_served_counts_once_however_its_name_is_written(store: Store) -> None:
    """A second workstation at 苏州纳锂 entered in traditional, full-width characters is not a
    second enterprise served; a new enterprise is."""
    from techmatch.models.programme import Workstation

    def served() -> float | None:
        board = dashboard(store, start=YEAR[0], end=YEAR[1], today=TODAY)
        return next(r for r in board.cities if r.city == "苏州").cell("enterprises_served").actual

    before = served()
    save(store, "workstation", [Workstation(
        id="W09", expert_id="E001", enterprise="蘇州納鋰新材料科技有限公司 ", city="苏州",
        start=dt.date(2026, 5, 1))])
    assert served() == before == 1
    save(store, "workstation", [Workstation(
        id="W10", expert_id="E001", enterprise="苏州另一家公司", city="苏州",
        start=dt.date(2026, 5, 1))])
    assert served() == 2


def test_dashboard_against_targets_with_national_roll_up(store: Store, tmp_path: Path) -> None:
    board = dashboard(store, start=YEAR[0], end=YEAR[1], today=TODAY)
    suzhou = next(r for r in board.cities if r.city == "苏州")
    assert suzhou.batch == 1
    assert (suzhou.cell("teams_formed").actual, suzhou.cell("teams_formed").target) == (2, 2)
    training = suzhou.cell("events.training")
    assert (training.actual, training.target, round(training.ratio or 0, 4)) == (1, 3, 0.3333)
    assert suzhou.cell("workstations").actual == 1
    assert suzhou.cell("orders_delivered").actual == 1
    assert suzhou.cell("enterprises_served").actual == 1  # D01, W01 and S01: one enterprise
    assert board.national.cell("teams_formed").actual == 4  # distinct teams, T04 in 3 cities
    assert board.national.cell("events").actual == 4
    assert board.national.cell("dockings_signed").target == 40  # the explicit 全国 target
    assert board.national.cell("events.roadshow").target == 4  # summed over the cities
    assert {r.label: r.events for r in board.by_industry} == {
        "新材料产业": 1, "新能源汽车产业": 1, "高端装备制造产业": 1, "新一代信息技术产业": 1}
    assert {r.key: r.dispatches for r in board.by_team if r.dispatches} == {"T01": 1, "T02": 1}
    assert [o.milestone.id for o in board.overdue] == ["M02"]
    xlsx = write_dashboard_xlsx(board, tmp_path / "board.xlsx")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames[:2] == ["全国汇总", "城市指标"]
    sheet = book["城市指标"]
    assert [c.value for c in sheet[1]] == ["城市", "试点批次", "指标", "指标代码", "实际", "目标",
                                           "完成率（%）"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert ["苏州", 1, "培训场次", "events.training", 1, 3, 33.3] in rows
    assert [c.value for c in book["超期节点"][2]][:2] == ["M02", "青岛"]
    png = draw_dashboard(board, tmp_path / "board.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert board.model_dump(mode="json")["cities"][0]["cells"][0]["metric"] == "teams_formed"


def test_dashboard_window_and_city(store: Store) -> None:
    spring = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 5, 31), today=TODAY)
    assert spring.national.cell("events").actual == 1  # EV01 only
    only = dashboard(store, start=YEAR[0], end=YEAR[1], city="青岛", today=TODAY)
    assert [r.city for r in only.cities] == ["青岛"] and [e.id for e in only.events] == ["EV03"]
    assert [(r.label, r.events) for r in only.by_industry] == [("高端装备制造产业", 1)]
    assert [r.key for r in only.by_team] == ["T03"]
    assert only.national.cell("events").actual == 4  # the national row stays national
    with pytest.raises(ValidationError, match="早于开始日期"):
        dashboard(store, start=YEAR[1], end=YEAR[0])


def test_dashboard_xlsx_events_sheet_shows_the_status_in_chinese(store: Store,
                                                                  tmp_path: Path) -> None:
    """The 活动 sheet's 状态 column held the raw codes (held, planned) beside Chinese types."""
    board = dashboard(store, start=YEAR[0], end=YEAR[1], today=TODAY)
    book = openpyxl.load_workbook(write_dashboard_xlsx(board, tmp_path / "board.xlsx"))
    sheet = book["活动"]
    column = [c.value for c in sheet[1]].index("状态")
    statuses = {row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert statuses and statuses <= {"计划", "已举办", "取消"}, statuses


def test_an_infinite_target_stored_before_it_was_refused_still_lists(store: Store) -> None:
    """Target refuses non-finite values now; one stored earlier must not break every read."""
    from techmatch.matcher.programme.targets import list_targets
    from techmatch.store.programme import ProgrammeRepo, TargetRow

    ProgrammeRepo(store).set_targets([TargetRow(2031, "苏州", "deal_value", float("inf"))])
    assert [(t.metric, t.value) for t in list_targets(store, years=[2031])] == [
        ("deal_value", float("inf"))]


def test_outcome_refuses_an_attendee_who_was_not_invited(store: Store) -> None:
    """An unknown need id in `attended` (a typo) was silently ignored: the call succeeded,
    nobody was marked and the dashboard counted fewer enterprises served."""
    from techmatch.matcher.programme.events import save_event, set_outcome
    from techmatch.matcher.programme.registry import get
    from techmatch.models.programme import Participant

    event = get(store, "event", "EV02")
    invited = [Participant(role="invitee", kind="enterprise", name=f"企业{n}", need_id=n,
                           status="invited") for n in ("N1", "N2")]
    save_event(store, event.model_copy(update={"participants": invited}))
    with pytest.raises(ValidationError) as info:
        set_outcome(store, "EV02", status="held", attended=["N1", "N9"])
    assert info.value.field == "attended" and "N9" in info.value.message
    assert [p.status for p in get(store, "event", "EV02").participants] == ["invited"] * 2
    done = set_outcome(store, "EV02", status="held", attended=["N1"])
    assert [p.status for p in done.participants] == ["attended", "invited"]
