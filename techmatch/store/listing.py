"""Record listing under field filters, and the ids of confidential needs.

Filters compare JSON fields of the stored record with the texts asked for (exact text match;
the API finds every writing of a value with `values` first); which fields may be filtered is
the caller's rule (the API's `LIST_FILTERS`), checked here again by name shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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

    def values(self, kind: str, name: str) -> list[str]:
        """The distinct texts live records of `kind` hold in field `name` (a list filter's
        writings of one value are found among them)."""
        column = self._db.dialect.json_text("data", name)
        rows = self._db.fetch(f"SELECT DISTINCT {column} FROM records WHERE kind = ? AND "
                              f"deleted = 0 AND {column} IS NOT NULL", [kind])
        return [str(r[0]) for r in rows]

    def page(self, kind: str, *, filters: Mapping[str, str | Sequence[str]],
             hide_confidential: bool, offset: int, limit: int) -> tuple[list[Record], int]:
        """One page of live records of `kind` (ordered by id) and the total under `filters`
        (a field equal to the value, or to any of the values given as a list)."""
        dialect = self._db.dialect
        where, args = ["kind = ?", "deleted = 0"], [kind]
        for name, value in sorted(filters.items()):
            wanted = [value] if isinstance(value, str) else list(value)
            if not wanted:
                where.append("1 = 0")
                continue
            where.append(f"{dialect.json_text('data', name)} IN "
                         f"({', '.join('?' * len(wanted))})")
            args.extend(str(v) for v in wanted)
        if hide_confidential:
            where.append(f"NOT ({dialect.json_true('data', 'confidential')})")
        sql = " AND ".join(where)
        row = self._db.fetchone(f"SELECT COUNT(*) FROM records WHERE {sql}", args)
        rows = self._db.fetch(f"SELECT data FROM records WHERE {sql} ORDER BY id "
                              "LIMIT ? OFFSET ?", [*args, limit, offset])
        model = record_type(kind)
        records = [model.model_validate_json(r[0]) for r in rows]
        return records, int(row[0]) if row else 0  # type: ignore[return-value]
