"""Counting rules of the KPI dashboard on small hand-built stores: each test pins one rule a
programme manager is judged by (targets over years, enterprises served, teams, milestones)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.dockings.kpis import kpi_report
from techmatch.matcher.programme import (
    dashboard,
    import_file,
    list_targets,
    overdue_milestones,
    save,
    set_targets,
)
from techmatch.models.dockings import Contract
from techmatch.models.programme import (
    Dispatch,
    Event,
    Milestone,
    Participant,
    PilotCity,
    Target,
    Team,
    Workstation,
)
from techmatch.models.records import Achievement, Need
from techmatch.store import Store

TODAY = dt.date(2027, 12, 31)
UTC = dt.timezone.utc


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store.sqlite")
    yield s
    s.close()


def test_national_target_falls_back_to_the_cities_year_by_year(store: Store) -> None:
    """A window over 2026–2027: 2026 has a 全国 target (10), 2027 only city targets (6): the
    national target is 10 + 6, not the 2026 全国 row alone."""
    set_targets(store, [Target(year=2026, city="全国", metric="events", value=10),
                        Target(year=2026, city="苏州", metric="events", value=4),
                        Target(year=2027, city="苏州", metric="events", value=6),
                        Target(year=2027, city="全国", metric="deal_value", value=500),
                        Target(year=2027, city="无锡", metric="deal_value", value=80)])
    board = dashboard(store, start=dt.date(2026, 7, 1), end=dt.date(2027, 6, 30), today=TODAY)
    assert board.national.cell("events").target == 16
    assert board.national.cell("deal_value").target == 500  # 2027's 全国 row; 2026 has none
    assert next(r for r in board.cities if r.city == "苏州").cell("events").target == 10
    assert board.notes == ["events: 全国目标为各城市目标之和"]
    one_year = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                         today=TODAY)
    assert one_year.national.cell("events").target == 10 and one_year.notes == []


def test_an_invitee_named_only_by_its_need_id_is_no_enterprise_served(store: Store) -> None:
    """The roadshow / training planners name an invitee by its need id when the need names no
    enterprise: two such attendees are not two enterprises served; a named one is one."""
    people = [Participant(role="invitee", kind="enterprise", name=need, need_id=need,
                          status="attended") for need in ("N1", "N2")]
    people.append(Participant(role="invitee", kind="enterprise", name="苏州甲公司",
                              need_id="N3", status="docking"))
    save(store, "event", [Event(id="EV1", type="roadshow", title="路演", city="苏州",
                                date=dt.date(2026, 8, 1), status="held",
                                participants=people)])
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=TODAY)
    assert board.national.cell("enterprises_served").actual == 1
    assert board.cities[0].city == "苏州"
    assert board.cities[0].cell("enterprises_served").actual == 1


def test_a_milestone_done_late_was_overdue_on_the_days_before_it_was_done(store: Store) -> None:
    """Due 06-01, done 07-10: overdue as of 06-30 (29 days late), not as of 07-10 or later,
    not as of its due day; one never done stays overdue."""
    save(store, "milestone", [
        Milestone(id="M1", year=2026, city="苏州", title="中期评估", due=dt.date(2026, 6, 1),
                  done_on=dt.date(2026, 7, 10)),
        Milestone(id="M2", year=2026, city="苏州", title="首次派出", due=dt.date(2026, 6, 15))])

    def late(day: dt.date) -> list[tuple[str, int]]:
        return [(o.milestone.id, o.days_late) for o in overdue_milestones(store, today=day)]

    assert late(dt.date(2026, 6, 30)) == [("M1", 29), ("M2", 15)]
    assert late(dt.date(2026, 7, 10)) == [("M2", 25)]
    assert late(dt.date(2026, 6, 1)) == []
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30),
                      today=dt.date(2026, 6, 30))
    assert [o.milestone.id for o in board.overdue] == ["M1", "M2"]


def test_a_team_listing_a_city_twice_is_one_team_formed_there(store: Store) -> None:
    save(store, "team", [
        Team(id="T1", name="服务团一", cities=["苏州", "苏州", "无锡"],
             formed_on=dt.date(2026, 8, 1)),
        Team(id="T2", name="服务团二", cities=["苏州"], formed_on=dt.date(2026, 9, 1))])
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=TODAY)
    formed = {r.city: r.cell("teams_formed").actual for r in board.cities}
    assert formed == {"苏州": 2, "无锡": 1}
    assert board.national.cell("teams_formed").actual == 2


def test_a_record_with_a_blank_city_counts_under_unknown_not_as_a_city_named_blank(
        store: Store) -> None:
    save(store, "event", [Event(id="EV1", type="forum", title="论坛", city=" ",
                                date=dt.date(2026, 5, 1), status="held",
                                participants=[Participant(role="attendee", kind="enterprise",
                                                          name="甲公司")])])
    save(store, "dispatch", [Dispatch(id="D1", team_id="T1", city="", enterprises=["乙公司"],
                                      start=dt.date(2026, 5, 2))])
    save(store, "workstation", [Workstation(id="W1", expert_id="E1", enterprise="丙公司",
                                            city="", start=dt.date(2026, 5, 3))])
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=TODAY)
    assert [r.city for r in board.cities] == ["未知"]
    unknown = board.cities[0]
    assert unknown.cell("events").actual == 1
    assert unknown.cell("enterprises_served").actual == 3
    assert unknown.cell("workstations").actual == 1


def _sign(store: Store, docking_id: str, at: dt.datetime, value: float) -> None:
    contract = Contract(contract_type="transfer", value_wan=value, signed_on=at.date())
    move_docking(store, docking_id, Move(to="signed", contract=contract), now=at)


def test_signed_deals_count_the_standing_contract_once(store: Store) -> None:
    """D1 signed 03-05 (100), fell through 04-05 and was dropped: no deal. D2 signed 03-05
    (100), reopened 04-05, signed again 06-05 (150): one deal of 150, in June. D3 signed
    03-05 (80), completed, reopened to 签约 and completed again: one deal of 80, in March."""
    store.upsert([Need(id="N1", title="需求", city="苏州", industry="集成电路",
                       enterprise="甲公司"),
                  *(Achievement(id=f"A{i}", title=f"成果{i}") for i in range(3))])
    ids = []
    for i in range(3):
        at = dt.datetime(2026, 3, 1, 9, tzinfo=UTC)
        d = create_docking(store, NewDocking(need_id="N1", candidate_id=f"A{i}"), now=at)
        for stage in ("contacted", "confirmed", "negotiating"):
            at += dt.timedelta(days=1)
            move_docking(store, d.id, Move(to=stage), now=at)
        ids.append(d.id)
    _sign(store, ids[0], dt.datetime(2026, 3, 5, tzinfo=UTC), 100)
    move_docking(store, ids[0], Move(to="negotiating"), admin=True,
                 now=dt.datetime(2026, 4, 5, tzinfo=UTC))
    move_docking(store, ids[0], Move(to="dropped", reason="too_costly"),
                 now=dt.datetime(2026, 4, 6, tzinfo=UTC))
    _sign(store, ids[1], dt.datetime(2026, 3, 5, tzinfo=UTC), 100)
    move_docking(store, ids[1], Move(to="negotiating"), admin=True,
                 now=dt.datetime(2026, 4, 5, tzinfo=UTC))
    _sign(store, ids[1], dt.datetime(2026, 6, 5, tzinfo=UTC), 150)
    _sign(store, ids[2], dt.datetime(2026, 3, 5, tzinfo=UTC), 80)
    for stage, day in (("completed", 10), ("signed", 11), ("completed", 12)):
        move_docking(store, ids[2], Move(to=stage), admin=True,
                     now=dt.datetime(2026, 5, day, tzinfo=UTC))

    def deals(start: dt.date, end: dt.date) -> tuple[float, float]:
        board = dashboard(store, start=start, end=end, today=TODAY)
        cells = board.national.cell("dockings_signed"), board.national.cell("deal_value")
        return cells[0].actual, cells[1].actual

    assert deals(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == (2, 230)
    assert deals(dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == (1, 80)
    assert deals(dt.date(2026, 4, 1), dt.date(2026, 6, 30)) == (1, 150)
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=TODAY)
    assert [(r.key, r.dockings_signed, r.deal_value) for r in board.by_industry] == [
        ("新一代信息技术产业", 2, 230)]
    funnel = kpi_report(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    # the KPIs' funnel counts the same deals (D1 fell through)
    assert (funnel.total.counts["signed"], funnel.total.deal_value) == (2, 230)


def test_a_city_written_another_way_is_the_same_row_as_its_dockings(store: Store) -> None:
    """Pilot city 苏州, an event and a target written 蘇州 (traditional) and a need in 苏州 with
    a signed docking: one 苏州 row with the event, the deal and the target, also when the
    dashboard is asked for 蘇州."""
    save(store, "city", [PilotCity(name="苏州", batch=1)])
    save(store, "event", [Event(id="EV1", type="roadshow", title="路演", city="蘇州",
                                industry="新材料", date=dt.date(2026, 5, 1), status="held")])
    set_targets(store, [Target(year=2026, city="蘇州", metric="events", value=4)])
    store.upsert([Need(id="N1", title="需求", city="苏州", industry="新材料"),
                  Achievement(id="A1", title="成果")])
    at = dt.datetime(2026, 5, 2, tzinfo=UTC)
    d = create_docking(store, NewDocking(need_id="N1", candidate_id="A1"), now=at)
    for stage in ("contacted", "confirmed", "negotiating"):
        move_docking(store, d.id, Move(to=stage), now=at)
    _sign(store, d.id, at + dt.timedelta(days=1), 60)
    for city in (None, "蘇州"):
        board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                          city=city, today=TODAY)
        assert [r.city for r in board.cities] == ["苏州"]
        row = board.cities[0]
        assert (row.batch, row.cell("events").actual, row.cell("events").target) == (1, 1, 4)
        assert row.cell("dockings_signed").actual == 1 and row.cell("deal_value").actual == 60
        assert [e.id for e in board.events] == ["EV1"]
        assert [(r.key, r.events, r.dockings_signed) for r in board.by_industry] == [
            ("新材料产业", 1, 1)]


def test_a_target_import_reports_replaced_targets_as_updated(store: Store,
                                                             tmp_path: Path) -> None:
    """Importing the plan again replaces its targets: updated, not created a second time; a
    target given twice in one file is created once and then updated."""
    plan = tmp_path / "targets.csv"
    plan.write_text("年度,城市,指标,目标值\n2026,苏州,events,4\n2026,全国,events,20\n",
                    encoding="utf-8")
    first = import_file(store, "target", plan)
    assert (first.created, first.updated) == (["2026/苏州/events", "2026/全国/events"], [])
    plan.write_text("年度,城市,指标,目标值\n2026,苏州,events,5\n2026,无锡,events,3\n"
                    "2026,无锡,events,6\n", encoding="utf-8")
    again = import_file(store, "target", plan)
    assert again.created == ["2026/无锡/events"]
    assert again.updated == ["2026/苏州/events", "2026/无锡/events"]
    stored = {(t.city, t.value) for t in list_targets(store, years=[2026])}
    assert stored == {("苏州", 5), ("全国", 20), ("无锡", 6)}
