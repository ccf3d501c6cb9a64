"""Dockings from a roadshow's invitations were created on the day they were recorded: a
roadshow held last week and recorded today produced dockings dated today (so a contract
signed at the roadshow could not carry its date). `record_dockings` now creates them on the
event's date (创建日期), on today when the event is still ahead, or on a given date (not
after today; a later one is refused naming created_on, nothing stored)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.programme import get, record_dockings, save_event
from techmatch.models.programme import Event, Participant, china_day, china_today
from techmatch.models.records import Achievement, Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 on 1 December, Beijing
TODAY = dt.date(2026, 12, 1)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "home" / "store.sqlite")
    s.upsert([Need(id="N1", title="轴承温升", city="苏州", created_at=NOW - dt.timedelta(days=90)),
              Need(id="N2", title="涂层", city="苏州", created_at=NOW - dt.timedelta(days=90)),
              Achievement(id="A1", title="成果1")])
    return s


def _event(store: Store, day: dt.date) -> Event:
    invited = [Participant(role="invitee", kind="enterprise", name=f"企业{n}", need_id=n,
                           achievement_id="A1", status="invited") for n in ("N1", "N2")]
    return save_event(store, Event(id="RS-1", type="roadshow", title="技术路演·苏州", date=day,
                                   city="苏州", participants=invited))


def _created_days(store: Store) -> list[dt.date]:
    return sorted(china_day(d.created_at) for d in DockingRepo(store).all())


def test_dockings_of_last_weeks_roadshow_are_created_on_its_date(store: Store) -> None:
    held = china_today() - dt.timedelta(days=7)
    _event(store, held)
    links = record_dockings(store, "RS-1", actor="staff")  # recorded now
    assert [x.created for x in links] == [True, True]
    assert _created_days(store) == [held, held]
    first = DockingRepo(store).history(links[0].docking_id)[0]
    assert "实际录入于" in (first.note or "")  # the history keeps when it was really entered


def test_a_planned_event_creates_its_dockings_today(store: Store) -> None:
    _event(store, TODAY + dt.timedelta(days=14))  # dockings recorded while planning
    record_dockings(store, "RS-1", actor="staff", now=NOW)
    assert _created_days(store) == [TODAY, TODAY]
    assert all(d.created_at == NOW for d in DockingRepo(store).all())


def test_a_given_creation_date_is_used_and_a_future_one_refused(store: Store) -> None:
    _event(store, TODAY - dt.timedelta(days=7))
    with pytest.raises(ValidationError) as refused:
        record_dockings(store, "RS-1", created_on=TODAY + dt.timedelta(days=1), now=NOW)
    assert refused.value.field == "created_on" and "晚于今天" in str(refused.value)
    assert DockingRepo(store).all() == []
    assert all(p.docking_id is None for p in get(store, "event", "RS-1").participants)
    given = TODAY - dt.timedelta(days=5)
    record_dockings(store, "RS-1", created_on=given, now=NOW)
    assert _created_days(store) == [given, given]
