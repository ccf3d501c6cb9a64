"""Targets stored in two writings: before 104d22b (蘇州 / 苏州) and c668b4e (朝阳(北京市) /
朝阳（北京）, 苏州 / 苏州（江苏）) setting a target under another writing of its city stored a
second row, and those fixes only clean up a key when it is set again. A store written then
still holds both rows: the lists show two targets, and the 项目看板 takes whichever row's city
text sorts last — the older value where that one does. Such rows are merged once (the most
recently updated writing is kept; on a tie, the one the board showed), and nothing else
changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from techmatch.matcher.programme import registry, targets
from techmatch.matcher.programme.dashboard import dashboard
from techmatch.matcher.programme.targets import list_targets, merge_target_writings
from techmatch.models.programme import PilotCity
from techmatch.store import Store
from techmatch.store import programme as programme_store
from techmatch.store.programme import ProgrammeRepo, TargetRow

ROWS = [  # (city as stored by older code, metric, value, updated)
    ("蘇州", "events", 4.0, "2026-11-20T08:00:00+00:00"),
    ("苏州", "events", 6.0, "2026-11-25T08:00:00+00:00"),  # newer: kept
    ("朝阳(北京)", "dockings_signed", 5.0, "2026-11-26T08:00:00+00:00"),  # newer: kept
    ("朝阳(北京市)", "dockings_signed", 3.0, "2026-11-21T08:00:00+00:00"),
    ("苏州", "teams_formed", 2.0, "2026-11-27T08:00:00+00:00"),  # newer: kept
    ("苏州(江苏)", "teams_formed", 1.0, "2026-11-22T08:00:00+00:00"),
    ("无锡", "deal_value", 10.0, "2026-11-23T08:00:00+00:00"),  # a tie: the board's (last)
    ("無錫", "deal_value", 12.0, "2026-11-23T08:00:00+00:00"),
    ("苏州", "deal_value", 50.0, "2026-11-20T08:00:00+00:00"),  # one writing each: kept
    ("朝阳(辽宁)", "dockings_signed", 7.0, "2026-11-20T08:00:00+00:00"),  # another place
    ("朝阳", "events", 2.0, "2026-11-20T08:00:00+00:00"),  # a shared bare name: its own
    ("全国", "deal_value", 1000.0, "2026-11-20T08:00:00+00:00"),
]


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store as older code left it: both writings of some targets, each row as written."""
    s = Store(tmp_path / "store.sqlite")
    repo = ProgrammeRepo(s)
    with repo.transaction():  # rows as written then (registry.save now merges: a write)
        repo.put([registry.to_row("city", c) for c in (
            PilotCity(name="苏州", province="江苏", batch=1),
            PilotCity(name="朝阳", province="北京", batch=2),
            PilotCity(name="朝阳", province="辽宁", batch=2),
            PilotCity(name="无锡", province="江苏", batch=1))])
    for year in (2026, 2027):
        for city, metric, value, updated in ROWS:
            monkeypatch.setattr(programme_store, "_now", lambda at=updated: at)
            repo.set_targets([TargetRow(year, city, metric, value + year - 2026)])
    monkeypatch.undo()
    return s


def _stored(store: Store) -> set[tuple[int, str, str, float]]:
    return {(r.year, r.city, r.metric, r.value) for r in ProgrammeRepo(store).targets()}


def test_writings_of_one_target_become_one_row_and_nothing_else_changes(store: Store) -> None:
    before = _stored(store)
    merged = merge_target_writings(store)
    dropped = {(y, c, m, v + y - 2026) for y in (2026, 2027) for c, m, v in (
        ("蘇州", "events", 4.0), ("朝阳(北京市)", "dockings_signed", 3.0),
        ("苏州(江苏)", "teams_formed", 1.0), ("无锡", "deal_value", 10.0))}
    assert _stored(store) == before - dropped
    assert [(m.year, m.city, m.metric, m.value, m.dropped) for m in merged] == [
        (2026, "無錫", "deal_value", 12.0, [("无锡", 10.0)]),
        (2026, "朝阳(北京)", "dockings_signed", 5.0, [("朝阳(北京市)", 3.0)]),
        (2026, "苏州", "events", 6.0, [("蘇州", 4.0)]),
        (2026, "苏州", "teams_formed", 2.0, [("苏州(江苏)", 1.0)]),
        (2027, "無錫", "deal_value", 13.0, [("无锡", 11.0)]),
        (2027, "朝阳(北京)", "dockings_signed", 6.0, [("朝阳(北京市)", 4.0)]),
        (2027, "苏州", "events", 7.0, [("蘇州", 5.0)]),
        (2027, "苏州", "teams_formed", 3.0, [("苏州(江苏)", 2.0)])]
    assert merge_target_writings(store) == []  # nothing left to merge


def test_lists_and_the_board_read_one_target_per_city_the_newest(store: Store) -> None:
    """Read through the programme's own functions (no explicit merge): a store not merged yet
    reads as the merge will leave it, and the reads write nothing (a GET never writes)."""
    before = _stored(store)
    suzhou = [(t.city, t.metric, t.value) for t in list_targets(store, years=[2026],
                                                                 city="苏州")]
    assert sorted(suzhou) == [("苏州", "deal_value", 50.0), ("苏州", "events", 6.0),
                              ("苏州", "teams_formed", 2.0)]
    board = dashboard(store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 12, 1))
    rows = {r.city_id or r.city: r for r in board.cities}
    assert rows["苏州（江苏）"].cell("events").target == 6
    assert rows["朝阳（北京）"].cell("dockings_signed").target == 5
    assert rows["朝阳（辽宁）"].cell("dockings_signed").target == 7
    assert rows["无锡（江苏）"].cell("deal_value").target == 12
    assert board.national.cell("deal_value").target == 1000
    assert _stored(store) == before  # nothing merged by a read
    assert store.get_meta(targets.MERGED_KEY) is None


def _meta_and_rows(store: Store) -> tuple[str | None, set[tuple[int, str, str, float]]]:
    return store.get_meta(targets.MERGED_KEY), _stored(store)


@pytest.mark.parametrize("write", ["target", "delete", "registry", "city"])
def test_the_first_write_merges_a_store_not_merged_yet(store: Store, write: str) -> None:
    """The merge is the first programme write's (a target set or deleted, a registry record
    saved: the API's PUT / DELETE, imports, the CLI), recorded once in meta."""
    from techmatch.models.programme import Target, Team

    before = _stored(store)
    if write == "target":
        targets.set_targets(store, [Target(year=2030, city="全国", metric="events", value=1)])
        before.add((2030, "全国", "events", 1.0))
    elif write == "delete":
        targets.delete_target(store, year=2027, city="全国", metric="deal_value")
        before.discard((2027, "全国", "deal_value", 1001.0))
    elif write == "registry":
        registry.save(store, "team", [Team(id="T1", name="服务一队", cities=["苏州"])])
    else:
        registry.save(store, "city", [PilotCity(name="常州", province="江苏", batch=2)])
    dropped = {(y, c, m, v + y - 2026) for y in (2026, 2027) for c, m, v in (
        ("蘇州", "events", 4.0), ("朝阳(北京市)", "dockings_signed", 3.0),
        ("苏州(江苏)", "teams_formed", 1.0), ("无锡", "deal_value", 10.0))}
    merged, rows = _meta_and_rows(store)
    assert rows == before - dropped
    assert merged is not None and merged.endswith("merged=8")


def test_a_store_merged_before_is_not_merged_again(store: Store) -> None:
    """A store whose targets were merged (meta recorded, by 16100be's first read or by a
    write) keeps its rows and its record through later reads and writes."""
    from techmatch.models.programme import Target

    store.set_meta(targets.MERGED_KEY, "2026-12-01T04:10:00+00:00 merged=8")
    before = _stored(store)  # two writings left as they are: not merged a second time
    assert len(list_targets(store)) == len(before)  # read as stored
    targets.set_targets(store, [Target(year=2030, city="全国", metric="events", value=1)])
    assert _meta_and_rows(store) == ("2026-12-01T04:10:00+00:00 merged=8",
                                     before | {(2030, "全国", "events", 1.0)})


def test_registering_the_pilot_city_merges_its_two_writings(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """With no pilot city 朝阳, 朝阳(北京市) and 朝阳(北京) are two cities (two board rows); once
    朝阳（北京） is registered they are one, and its targets in both writings are merged."""
    store = Store(tmp_path / "store.sqlite")
    repo = ProgrammeRepo(store)
    for city, value, updated in (("朝阳(北京市)", 3.0, "2026-11-21T08:00:00+00:00"),
                                 ("朝阳(北京)", 5.0, "2026-11-26T08:00:00+00:00")):
        monkeypatch.setattr(programme_store, "_now", lambda at=updated: at)
        repo.set_targets([TargetRow(2026, city, "events", value)])
    monkeypatch.undo()
    assert sorted(t.value for t in list_targets(store)) == [3.0, 5.0]  # two places still
    registry.save(store, "city", [PilotCity(name="朝阳", province="北京市", batch=2)])
    assert [(t.city, t.value) for t in list_targets(store)] == [("朝阳(北京)", 5.0)]
