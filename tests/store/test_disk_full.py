"""A full disk (or a read-only one) under an SQLite store gave a 40-line traceback ending in
`OperationalError: disk I/O error` / `database or disk is full` (exit 1, HTTP 500), which
told the operator neither what was wrong nor whether stored data survived. It is now a
StoreUnavailableError (exit 8, HTTP 503 with Retry-After) naming the store file and saying
the write was not committed; the store stays usable once space is back.

The disk is made "full" with SQLite's own page limit (`max_page_count`), which fails
writes with the same SQLITE_FULL a full file system gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.errors import StoreUnavailableError
from techmatch.models.records import Need
from techmatch.store import Store


def test_a_full_disk_is_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = Store(path)
    store.upsert([Need(id=f"N{i:03d}", title=f"已存储的需求 {i}") for i in range(20)])
    db = store._db  # noqa: SLF001 - the page limit is a property of this connection
    pages = db.fetchone("PRAGMA page_count")[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    big = [Need(id=f"X{i:04d}", title="新需求", description="描述" * 2000) for i in range(200)]
    with pytest.raises(StoreUnavailableError) as caught:
        store.upsert(big)
    message = str(caught.value)
    assert str(path) in message and "未提交" in message and "已存储的数据未改动" in message
    assert store.count("need") == 20
    db.execute("PRAGMA max_page_count = 1073741823")  # space is back: the store works
    store.upsert(big[:3])
    assert store.count("need") == 23
    store.close()


def test_a_damaged_store_file_is_a_clear_error(tmp_path: Path) -> None:
    """A store.sqlite that is not a database (a copy cut short, a file put in its place)
    gave `DatabaseError: file is not a database` with a traceback."""
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"not a database, a half-copied file" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreUnavailableError) as caught:
        Store(path)
    assert str(path) in str(caught.value) and "已损坏" in str(caught.value)
    assert path.read_bytes() == before
