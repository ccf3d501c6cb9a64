"""The token-set cache file: key (tokenizer fingerprint + text hash) → the text's token set.

A per-node cache beside the vector cache (it can always be refilled by tokenising), so it is
an SQLite file of its own like `techmatch.store.vectors`; the SQL is plain (`?` placeholders,
`INSERT OR REPLACE` is the only SQLite spelling) and lives here because this package is the
only one that speaks SQL. Values are the tokens as a JSON array (any token can be stored).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from techmatch.store.sqlite import connect_wal

_CHUNK = 500  # keys per IN (...) query: under every SQLite build's variable limit


class TokenSetFile:
    """Key → JSON token list table in an SQLite file shared by the processes of one machine."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # one connection shared by the threads of a server
        self._db = connect_wal(path)
        self._db.execute("PRAGMA synchronous=NORMAL")  # a cache: a lost tail is re-tokenised
        self._db.execute("CREATE TABLE IF NOT EXISTS tokset "
                         "(k TEXT PRIMARY KEY, v TEXT NOT NULL)")

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        items = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        with self._lock:
            for start in range(0, len(items), _CHUNK):
                chunk = items[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(self._db.execute(
                    f"SELECT k, v FROM tokset WHERE k IN ({marks})", chunk).fetchall())
        return found

    def put_many(self, items: Sequence[tuple[str, str]]) -> None:
        """Store rows in one transaction (all or nothing)."""
        rows = list(items)
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR REPLACE INTO tokset VALUES (?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM tokset").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
