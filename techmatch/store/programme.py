"""Programme tables and every SQL statement of them: registries, targets.

- `programme_items`: one row per (kind, id) of the registries (pilot city — its id is its
  name and province since migration 5 —, organisation, team, dispatch, workstation, order,
  event, milestone): the record's JSON plus the columns
  lists filter on — `city`, `day` (the record's date, ISO text so text order is date order)
  and `ref` (the team of a dispatch or event, the expert of a workstation).
- `programme_targets`: one number per (year, city, metric); city `全国` is national.

Standard SQL with `?` placeholders through the Store's `Database` (SQLite or PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from techmatch.errors import no_such

if TYPE_CHECKING:
    from techmatch.store.db import Database
    from techmatch.store.records import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS programme_items (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  city TEXT,
  day TEXT,
  ref TEXT,
  data TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS programme_items_city ON programme_items(kind, city, day);
CREATE INDEX IF NOT EXISTS programme_items_ref ON programme_items(kind, ref);
CREATE TABLE IF NOT EXISTS programme_targets (
  year INTEGER NOT NULL,
  city TEXT NOT NULL,
  metric TEXT NOT NULL,
  value REAL NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (year, city, metric)
);
"""


def rekey_pilot_cities(db: Database) -> None:
    """Store migration 5: a pilot city was keyed by its name; its id is now its name and
    province (`models.programme.pilot_city_id`: 朝阳（辽宁）), so two places of one name can
    both be pilot cities. A row whose new id is taken, or whose JSON no longer reads, keeps
    its key (it stays readable by it)."""
    import pydantic

    from techmatch.models.programme import PilotCity

    rows = db.fetch("SELECT id, data FROM programme_items WHERE kind = 'city'")
    taken = {str(r[0]) for r in rows}
    for old, data in rows:
        try:
            new = PilotCity.model_validate_json(data).id
        except pydantic.ValidationError:
            continue
        if new != old and new not in taken:
            db.execute("UPDATE programme_items SET id = ? WHERE kind = 'city' AND id = ?",
                       (new, old))
            taken.add(new)


@dataclass(frozen=True)
class ItemRow:
    """One stored registry record: its indexed columns and JSON."""

    kind: str
    id: str
    city: str | None
    day: str | None
    ref: str | None
    data: str


@dataclass(frozen=True)
class TargetRow:
    year: int
    city: str
    metric: str
    value: float
    # when it was last set (UTC ISO text), as read back; not part of a row's equality
    updated: str = field(default="", compare=False)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


_ITEM = "SELECT kind, id, city, day, ref, data FROM programme_items"


class ProgrammeRepo:
    """Typed access to the programme tables over one `Store`."""

    def __init__(self, store: Store) -> None:
        # The tables come from migration 4 (`store.migrations`), applied when the store opens.
        self._db: Database = store._db  # noqa: SLF001 - repositories share the Store's database

    def transaction(self) -> AbstractContextManager[None]:
        """Group several writes into one transaction."""
        return self._db.transaction()

    # -- registry items ------------------------------------------------------------------------
    def put(self, rows: Sequence[ItemRow]) -> list[bool]:
        """Insert or replace rows in one transaction; per row True when it was new."""
        now = _now()
        created = []
        with self._db.transaction():
            for r in rows:
                found = self._db.fetchone("SELECT 1 FROM programme_items WHERE kind = ? AND "
                                          "id = ?", (r.kind, r.id))
                if found is None:
                    self._db.execute("INSERT INTO programme_items (kind, id, city, day, ref, "
                                     "data, updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     (r.kind, r.id, r.city, r.day, r.ref, r.data, now))
                else:
                    self._db.execute("UPDATE programme_items SET city = ?, day = ?, ref = ?, "
                                     "data = ?, updated = ? WHERE kind = ? AND id = ?",
                                     (r.city, r.day, r.ref, r.data, now, r.kind, r.id))
                created.append(found is None)
        return created

    def get(self, kind: str, item_id: str) -> ItemRow:
        row = self._db.fetchone(f"{_ITEM} WHERE kind = ? AND id = ?", (kind, item_id))
        if row is None:
            raise no_such(kind, item_id)
        return ItemRow(*row)

    def find(self, kind: str, item_id: str) -> ItemRow | None:
        row = self._db.fetchone(f"{_ITEM} WHERE kind = ? AND id = ?", (kind, item_id))
        return ItemRow(*row) if row else None

    def list_items(self, kind: str, *, city: str | None = None, ref: str | None = None,
             start: dt.date | None = None, end: dt.date | None = None) -> list[ItemRow]:
        """Rows of `kind` ordered by (day, id); `start`/`end` bound `day`, both inclusive."""
        sql = f"{_ITEM} WHERE kind = ?"
        args: list[object] = [kind]
        for column, value in (("city", city), ("ref", ref)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if start is not None:
            sql += " AND day >= ?"
            args.append(start.isoformat())
        if end is not None:
            sql += " AND day <= ?"
            args.append(end.isoformat())
        rows = self._db.fetch(sql + " ORDER BY day, id", args)
        return [ItemRow(*r) for r in rows]

    def delete(self, kind: str, item_id: str) -> None:
        with self._db.transaction():
            if not self._db.execute("DELETE FROM programme_items WHERE kind = ? AND id = ?",
                                    (kind, item_id)):
                raise no_such(kind, item_id)

    # -- targets -------------------------------------------------------------------------------
    def set_targets(self, rows: Sequence[TargetRow]) -> None:
        now = _now()
        with self._db.transaction():
            for t in rows:
                self._db.execute("DELETE FROM programme_targets WHERE year = ? AND city = ? "
                                 "AND metric = ?", (t.year, t.city, t.metric))
                self._db.execute("INSERT INTO programme_targets (year, city, metric, value, "
                                 "updated) VALUES (?, ?, ?, ?, ?)",
                                 (t.year, t.city, t.metric, t.value, now))

    def delete_targets(self, keys: Sequence[tuple[int, str, str]]) -> None:
        """Delete the targets of these (year, city, metric) keys (missing ones are no error)."""
        with self._db.transaction():
            for year, city, metric in keys:
                self._db.execute("DELETE FROM programme_targets WHERE year = ? AND city = ? "
                                 "AND metric = ?", (year, city, metric))

    def targets(self, *, years: Sequence[int] = (), city: str | None = None) -> list[TargetRow]:
        sql = "SELECT year, city, metric, value, updated FROM programme_targets WHERE 1 = 1"
        args: list[object] = []
        if years:
            sql += f" AND year IN ({', '.join('?' * len(years))})"
            args += list(years)
        if city is not None:
            sql += " AND city = ?"
            args.append(city)
        rows = self._db.fetch(sql + " ORDER BY year, city, metric", args)
        return [TargetRow(int(y), str(c), str(m), float(v), str(u)) for y, c, m, v, u in rows]
