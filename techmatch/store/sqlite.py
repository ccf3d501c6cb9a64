"""Opening SQLite files shared by several processes (store, vector cache) in WAL mode."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from techmatch.errors import LockedError


def connect_wal(path: Path, *, timeout: float = 120.0) -> sqlite3.Connection:
    """An autocommit connection in WAL mode.

    Switching a new file to WAL needs an exclusive lock that SQLite's busy timeout does not
    wait for, so two processes creating the same file at once (test workers, two CLI runs)
    would see "database is locked": check the mode first and retry the switch until `timeout`.
    """
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return db
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                db.close()
                if "locked" in str(exc):
                    raise LockedError(f"{path} stayed locked for {timeout:.0f} s") from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
