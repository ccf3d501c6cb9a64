"""The vector cache file: content hash → float32 vector bytes, one SQLite file per encoder.

A per-node cache beside the indexes, not part of the shared store (a cache can always be
refilled by encoding); it lives here because this package is the only one that speaks SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from techmatch.store.sqlite import connect_wal


class VectorFile:
    """Key → blob table in an SQLite file shared by the processes of one machine."""

    def __init__(self, path: Path) -> None:
        self._db = connect_wal(path)
        self._db.execute("PRAGMA synchronous=NORMAL")  # a cache: a lost tail is re-encoded
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (k TEXT PRIMARY KEY, v BLOB NOT NULL)")

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        items = list(keys)
        for start in range(0, len(items), 500):
            chunk = items[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for k, blob in self._db.execute(f"SELECT k, v FROM vec WHERE k IN ({marks})", chunk):
                found[k] = bytes(blob)
        return found

    def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store vectors in one transaction (a killed build keeps every commit it finished).

        The connection is in autocommit mode, where `with connection:` opens no transaction:
        without the explicit BEGIN every row was its own commit (an fsync per vector).
        """
        rows = list(items)
        if not rows:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
