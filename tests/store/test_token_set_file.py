"""TokenSetFile: rows read back exactly, bulk writes are all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from techmatch.store.tokensets import TokenSetFile


def test_put_many_round_trip(tmp_path: Path) -> None:
    tokens = TokenSetFile(tmp_path / "sub" / "t.sqlite")
    rows = [(f"k{i:04d}", f'["词{i}", "x\\n{i}"]') for i in range(1200)]
    tokens.put_many(rows)
    tokens.put_many([])
    tokens.put_many([("k0003", '["replaced"]')])
    found = tokens.get_many([f"k{i:04d}" for i in range(0, 1200, 3)] + ["absent", "k0000"])
    assert tokens.count() == 1200
    tokens.close()
    assert sorted(found) == [f"k{i:04d}" for i in range(0, 1200, 3)]
    assert found["k0003"] == '["replaced"]' and found["k1197"] == '["词1197", "x\\n1197"]'


def test_put_many_is_all_or_nothing(tmp_path: Path) -> None:
    tokens = TokenSetFile(tmp_path / "t.sqlite")
    tokens.put_many([("kept", "[]")])
    with pytest.raises(sqlite3.IntegrityError):
        tokens.put_many([("a", "[]"), ("b", None), ("c", "[]")])  # type: ignore[list-item]
    assert tokens.get_many(["kept", "a", "b", "c"]) == {"kept": "[]"}
    tokens.put_many([("a", '["x"]')])
    assert tokens.get_many(["a"]) == {"a": '["x"]'}
    tokens.close()
