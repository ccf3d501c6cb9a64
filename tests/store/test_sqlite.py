"""Several processes creating the same SQLite file at once all get a WAL connection."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from techmatch.store.sqlite import connect_wal


def _open_and_write(path: str, n: int) -> str:
    db = connect_wal(Path(path), timeout=60)
    db.execute("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY)")
    with db:
        db.execute("INSERT OR IGNORE INTO t VALUES (?)", (n,))
    mode = str(db.execute("PRAGMA journal_mode").fetchone()[0])
    db.close()
    return mode


def test_concurrent_creation_is_not_a_lock_error(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    with mp.get_context("spawn").Pool(6) as pool:
        modes = pool.starmap(_open_and_write, [(path, i) for i in range(24)])
    assert set(modes) == {"wal"}
    db = connect_wal(Path(path))
    assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 24
