"""Change-log reads for index followers: how far an index is behind the store, per kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from techmatch.store.db import Database


@dataclass(frozen=True)
class Pending:
    """Store changes of one kind after a sequence: distinct ids, oldest change time, last seq."""

    records: int
    oldest: datetime | None
    last_seq: int

    def seconds(self, now: datetime | None = None) -> float:
        """Age of the oldest pending change in seconds (0 when nothing is pending)."""
        if self.oldest is None or not self.records:
            return 0.0
        now = now or datetime.now(timezone.utc)
        return max(0.0, (now - self.oldest).total_seconds())


class ChangeLog:
    """Read-only view of the `changes` table that `Store.upsert` / `delete` append to."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def pending(self, kind: str, after_seq: int) -> Pending:
        """Changes of `kind` with seq > `after_seq`: how many ids, since when, up to which seq."""
        row = self._db.fetchone("SELECT COUNT(DISTINCT id), MIN(at), MAX(seq) FROM changes "
                                "WHERE kind = ? AND seq > ?", (kind, after_seq))
        count, oldest, last = row if row is not None else (0, None, None)
        when = datetime.fromisoformat(str(oldest)) if oldest else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return Pending(int(count or 0), when, int(last or after_seq))
