"""Record listing under field filters, and the ids of confidential needs.

Filters compare JSON fields of the stored record (exact text match); which fields may be
filtered is the caller's rule (the API's `LIST_FILTERS`), checked here again by name shape.
"""

from __future__ import annotations

from collections.abc import Mapping

from techmatch.models.records import Record, record_type
from techmatch.store.db import Database


class RecordListing:
    """Typed queries over `records` that look inside the stored JSON."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def confidential_need_ids(self) -> frozenset[str]:
        # deleted ones too: their tombstone keeps the mark, and their dockings stay hidden
        sql = ("SELECT id FROM records WHERE kind = 'need' AND "
               + self._db.dialect.json_true("data", "confidential"))
        return frozenset(str(r[0]) for r in self._db.fetch(sql))

    def page(self, kind: str, *, filters: Mapping[str, str], hide_confidential: bool,
             offset: int, limit: int) -> tuple[list[Record], int]:
        """One page of live records of `kind` (ordered by id) and the total under `filters`."""
        dialect = self._db.dialect
        where, args = ["kind = ?", "deleted = 0"], [kind]
        for name, value in sorted(filters.items()):
            where.append(f"{dialect.json_text('data', name)} = ?")
            args.append(str(value))
        if hide_confidential:
            where.append(f"NOT ({dialect.json_true('data', 'confidential')})")
        sql = " AND ".join(where)
        row = self._db.fetchone(f"SELECT COUNT(*) FROM records WHERE {sql}", args)
        rows = self._db.fetch(f"SELECT data FROM records WHERE {sql} ORDER BY id "
                              "LIMIT ? OFFSET ?", [*args, limit, offset])
        model = record_type(kind)
        records = [model.model_validate_json(r[0]) for r in rows]
        return records, int(row[0]) if row else 0  # type: ignore[return-value]
