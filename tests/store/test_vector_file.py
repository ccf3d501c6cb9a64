"""VectorFile: bulk writes are one transaction (all or nothing), read back byte for byte."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from techmatch.store.vectors import VectorFile


def test_put_many_round_trip(tmp_path: Path) -> None:
    vecs = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    cache = VectorFile(tmp_path / "v.sqlite")
    cache.put_many([(f"k{i:03d}", vecs[i].tobytes()) for i in range(300)])
    cache.put_many([])
    found = cache.get_many([f"k{i:03d}" for i in range(0, 300, 7)] + ["absent"])
    cache.close()
    assert sorted(found) == [f"k{i:03d}" for i in range(0, 300, 7)]
    for i in range(0, 300, 7):
        assert np.array_equal(np.frombuffer(found[f"k{i:03d}"], np.float32), vecs[i])


def test_put_many_is_all_or_nothing(tmp_path: Path) -> None:
    """A bad row in the middle leaves none of the batch stored (one transaction, not one
    commit per row), and the file stays usable."""
    cache = VectorFile(tmp_path / "v.sqlite")
    cache.put_many([("kept", b"\x00" * 4)])
    bad = [("a", b"\x01" * 4), ("b", None), ("c", b"\x02" * 4)]
    with pytest.raises(sqlite3.IntegrityError):
        cache.put_many(bad)  # type: ignore[arg-type]
    assert cache.get_many(["a", "b", "c", "kept"]) == {"kept": b"\x00" * 4}
    cache.put_many([("a", b"\x03" * 4)])
    assert cache.get_many(["a"]) == {"a": b"\x03" * 4}
    cache.close()
    reopened = VectorFile(tmp_path / "v.sqlite")
    assert sorted(reopened.get_many(["a", "kept"])) == ["a", "kept"]
    reopened.close()
