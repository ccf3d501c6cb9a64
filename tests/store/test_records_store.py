"""Store: upsert / delete / get / list, change sequence, no-op re-upsert, atomic batches."""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.errors import NotFoundError, ValidationError
from techmatch.models import Achievement, Need
from techmatch.store import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite")


def test_upsert_assigns_increasing_sequence(store: Store) -> None:
    report = store.upsert([Need(id="n1", title="注塑件翘曲"),
                           Achievement(id="a1", title="模流分析")])
    assert report.as_dict() == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert store.last_seq() == 2
    assert store.last_seq("achievement") == 2 and store.last_seq("need") == 1


def test_same_content_is_a_noop_and_changed_content_is_an_update(store: Store) -> None:
    store.upsert([Need(id="n1", title="注塑件翘曲")])
    assert store.upsert([Need(id="n1", title="注塑件翘曲")]).unchanged == ["n1"]
    assert store.last_seq() == 1
    assert store.upsert([Need(id="n1", title="注塑件变形")]).updated == ["n1"]
    assert store.get("n1").title == "注塑件变形"
    assert [c.seq for c in store.changes_since(0)] == [2]


def test_delete_tombstones_and_logs(store: Store) -> None:
    store.upsert([Need(id="n1", title="a"), Need(id="n2", title="b")])
    assert store.delete("n1") == "need"
    with pytest.raises(NotFoundError):
        store.get("n1")
    with pytest.raises(NotFoundError):
        store.delete("n1")
    assert [r.id for r in store.iter_records("need")] == ["n2"]
    assert store.changes_since(2)[0].op == "delete"


def test_failed_batch_changes_nothing(store: Store) -> None:
    store.upsert([Need(id="x1", title="need")])
    before = store.last_seq()
    with pytest.raises(ValidationError, match="already a need"):
        store.upsert([Achievement(id="a9", title="ok"), Achievement(id="x1", title="clash")])
    assert store.last_seq() == before
    with pytest.raises(NotFoundError):
        store.get("a9")


def test_list_and_count_by_kind(store: Store) -> None:
    store.upsert([Achievement(id=f"a{i:02d}", title=f"成果{i}") for i in range(7)])
    assert store.count("achievement") == 7 and store.count("need") == 0
    assert [r.id for r in store.page("achievement", offset=5, limit=5)] == ["a05", "a06"]
    with pytest.raises(ValidationError, match="kind"):
        store.page("patent")


def test_second_connection_sees_committed_rows(store: Store, tmp_path: Path) -> None:
    store.upsert([Need(id="n1", title="a")])
    other = Store(tmp_path / "store.sqlite")
    assert other.get("n1").title == "a"
