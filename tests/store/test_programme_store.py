"""The programme repository on SQLite and on a real PostgreSQL server: registry rows, date
bounds, replacing, deleting, targets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.errors import NotFoundError
from techmatch.store import Store
from techmatch.store.programme import ItemRow, ProgrammeRepo, TargetRow


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    target = tmp_path / "store.sqlite" if request.param == "sqlite" else str(
        request.getfixturevalue("pg_url"))
    handle = Store(target)
    yield handle
    handle.close()


def test_items_round_trip_with_bounds_and_refs(store: Store) -> None:
    repo = ProgrammeRepo(store)
    rows = [ItemRow("event", "E2", "苏州", "2026-03-02", "T1", '{"n": 2}'),
            ItemRow("event", "E1", "苏州", "2026-03-02", None, '{"n": 1}'),
            ItemRow("event", "E3", "深圳", "2026-04-01", "T1", '{"n": 3}'),
            ItemRow("team", "E1", None, None, None, "{}")]  # same id, another kind
    assert repo.put(rows) == [True, True, True, True]
    assert [r.id for r in repo.list_items("event")] == ["E1", "E2", "E3"]  # by (day, id)
    assert [r.id for r in repo.list_items("event", city="苏州")] == ["E1", "E2"]
    assert [r.id for r in repo.list_items("event", ref="T1")] == ["E2", "E3"]
    march = repo.list_items("event", start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 31))
    assert [r.id for r in march] == ["E1", "E2"]
    assert repo.put([ItemRow("event", "E1", "杭州", "2026-05-01", None, '{"n": 9}')]) == [False]
    assert repo.get("event", "E1").city == "杭州" and repo.get("team", "E1").data == "{}"
    repo.delete("event", "E1")
    assert repo.find("event", "E1") is None
    with pytest.raises(NotFoundError, match="没有编号为 E1 的活动"):
        repo.delete("event", "E1")


def test_targets_replace_per_year_city_metric(store: Store) -> None:
    repo = ProgrammeRepo(store)
    repo.set_targets([TargetRow(2026, "苏州", "events", 3), TargetRow(2027, "苏州", "events", 5),
                      TargetRow(2026, "全国", "deal_value", 800.5)])
    repo.set_targets([TargetRow(2026, "苏州", "events", 4)])
    assert repo.targets(years=[2026]) == [TargetRow(2026, "全国", "deal_value", 800.5),
                                          TargetRow(2026, "苏州", "events", 4.0)]
    assert [t.year for t in repo.targets(city="苏州")] == [2026, 2027]
