"""Dockings, their append-only history and the feedback judgements: every SQL statement of them.

Tables (DDL below; statements use standard SQL with `?` placeholders):

- `dockings`: one row per (need, candidate) pair, the current stage and its `version`
  (optimistic lock: a write names the version it read and fails when it moved on).
- `docking_history`: one row per change, keyed (docking_id, version); a change and its
  history row are written in one transaction, so stage and history never disagree (a
  process killed mid-move leaves both before or both after). Rows are never updated or
  deleted: no statement here does, and triggers refuse it on both databases (SQLite: UPDATE,
  DELETE; PostgreSQL: UPDATE, DELETE, TRUNCATE).
- `feedback`: legacy staff labels (created by `Store`); applied to dockings in id order, the
  last applied id kept in `meta` under `FEEDBACK_APPLIED`.
"""

from __future__ import annotations

import datetime as dt
import math
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from techmatch.errors import ConflictError, no_such
from techmatch.models.dockings import STAGE_LABELS, Contract, Docking, HistoryEntry
from techmatch.store.db import Database
from techmatch.store.records import Store

_READY: weakref.WeakKeyDictionary[Store, bool] = weakref.WeakKeyDictionary()

FEEDBACK_APPLIED = "dockings.feedback_applied"

SCHEMA = """
CREATE TABLE IF NOT EXISTS dockings (
  id TEXT PRIMARY KEY,
  need_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  candidate_kind TEXT NOT NULL,
  source TEXT NOT NULL,
  rank INTEGER,
  confidence REAL,
  stage TEXT NOT NULL,
  peak_stage TEXT NOT NULL,
  reason TEXT,
  reason_note TEXT,
  never_suggest INTEGER NOT NULL DEFAULT 0,
  owner TEXT,
  team TEXT,
  keep_open INTEGER NOT NULL DEFAULT 0,
  contract_type TEXT,
  contract_value REAL,
  signed_on TEXT,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT,
  stage_at TEXT NOT NULL,
  due_on TEXT,
  UNIQUE (need_id, candidate_id)
);
CREATE INDEX IF NOT EXISTS dockings_created ON dockings(created_at, id);
CREATE INDEX IF NOT EXISTS dockings_owner ON dockings(owner);
DROP INDEX IF EXISTS dockings_stage_due;
CREATE INDEX IF NOT EXISTS dockings_due ON dockings(due_on, id, stage);
CREATE TABLE IF NOT EXISTS docking_history (
  docking_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  at TEXT NOT NULL,
  actor TEXT,
  from_stage TEXT,
  to_stage TEXT NOT NULL,
  note TEXT,
  PRIMARY KEY (docking_id, version)
);
"""
# SQLite refuses changes to history rows outright (one statement each: their body has a `;`).
SQLITE_GUARDS: tuple[str, ...] = tuple(
    f"CREATE TRIGGER IF NOT EXISTS docking_history_no_{op.lower()} BEFORE {op} ON "
    "docking_history BEGIN SELECT RAISE(ABORT, 'docking history is append-only'); END"
    for op in ("UPDATE", "DELETE"))
# PostgreSQL: one trigger function, statement-level triggers (TRUNCATE has no row triggers).
POSTGRES_GUARDS: tuple[str, ...] = (
    "CREATE OR REPLACE FUNCTION docking_history_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'docking history is append-only' "
    "USING ERRCODE = 'integrity_constraint_violation'; END $$",
    *(f"CREATE OR REPLACE TRIGGER docking_history_no_{op.lower()} BEFORE {op} ON "
      "docking_history FOR EACH STATEMENT EXECUTE FUNCTION docking_history_append_only()"
      for op in ("UPDATE", "DELETE", "TRUNCATE")))

_COLUMNS = ("id", "need_id", "candidate_id", "candidate_kind", "source", "rank", "confidence",
            "stage", "peak_stage", "reason", "reason_note", "never_suggest", "owner", "team",
            "keep_open", "contract_type", "contract_value", "signed_on", "version",
            "created_at", "created_by", "stage_at", "due_on")
_MUTABLE = ("stage", "peak_stage", "reason", "reason_note", "never_suggest", "owner", "team",
            "keep_open", "contract_type", "contract_value", "signed_on", "version", "stage_at",
            "due_on")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM dockings"
_HISTORY = "docking_id, version, at, actor, from_stage, to_stage, note"


def iso(at: dt.datetime) -> str:
    """UTC timestamp text with a fixed width, so text order is time order."""
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@dataclass(frozen=True)
class DockingQuery:
    """Filters of a docking list; None = any. `due_before`: open stage due before that day."""

    need_id: str | None = None
    candidate_id: str | None = None
    stages: tuple[str, ...] = ()
    owner: str | None = None
    team: str | None = None
    source: str | None = None
    due_before: dt.date | None = None
    open_stages: tuple[str, ...] = ()
    hidden_needs: frozenset[str] = frozenset()
    by_due: bool = False  # order by due date (most overdue first) instead of newest first


@dataclass(frozen=True)
class FeedbackRow:
    """One stored legacy judgement."""

    fid: int
    query_id: str
    candidate_id: str
    label: str
    reason: str | None
    note: str | None
    actor: str | None
    at: str


class KpiDocking(NamedTuple):
    """The columns KPIs read from one docking (a tuple: hundreds of thousands are read)."""

    id: str
    need_id: str
    owner: str | None
    team: str | None
    stage: str
    contract_value: float | None
    created_at: str
    due_on: str | None
    stage_at: str | None = None  # when the last move happened
    signed_on: str | None = None  # the contract's date (签约日期) of the contract it holds


class KpiMove(NamedTuple):
    """The columns KPIs read from one history row."""

    docking_id: str
    version: int
    at: str
    from_stage: str | None
    to_stage: str


class DockingRepo:
    """Typed access to the docking tables over one `Store` (its connection and lock)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._db: Database = store._db  # noqa: SLF001 - repositories share the Store's database
        if store not in _READY:
            store.ensure_schema(SCHEMA)
            guards = SQLITE_GUARDS if self._db.dialect.name == "sqlite" else POSTGRES_GUARDS
            with self._db.transaction():
                self._db.serialize("migrations")
                for guard in guards:
                    self._db.execute(guard)
            _READY[store] = True

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (joins an outer one), serialised with other docking writers
        of every process, so a move reads the version it then writes over."""
        with self._db.transaction():
            self._db.serialize("dockings")
            yield

    # -- writes (call inside `transaction`) ----------------------------------------------------
    def insert(self, docking: Docking, entry: HistoryEntry) -> None:
        """A new docking and its first history row; a duplicate pair is a ConflictError."""
        found = self._pair_id(docking.need_id, docking.candidate_id)
        if found is not None:
            raise ConflictError(f"需求 {docking.need_id} 与 {docking.candidate_id} 的对接已存在"
                                f"（{found}）", field="candidate_id")
        marks = ", ".join("?" * len(_COLUMNS))
        self._db.execute(f"INSERT INTO dockings ({', '.join(_COLUMNS)}) VALUES ({marks})",
                         _row(docking))
        self.append(entry)

    def insert_many(self, dockings: Sequence[Docking], entries: Sequence[HistoryEntry]) -> None:
        """Many new dockings and their history rows at once (call inside `transaction`); the
        caller has checked that no pair exists yet (the UNIQUE constraint still refuses)."""
        marks = ", ".join("?" * len(_COLUMNS))
        self._db.executemany(f"INSERT INTO dockings ({', '.join(_COLUMNS)}) VALUES ({marks})",
                             [_row(d) for d in dockings])
        self._db.executemany(
            f"INSERT INTO docking_history ({_HISTORY}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(e.docking_id, e.version, iso(e.at), e.actor, e.from_stage, e.to_stage, e.note)
             for e in entries])

    def update(self, docking: Docking, *, expected_version: int, entry: HistoryEntry) -> None:
        """Write `docking` over the row still at `expected_version`, and append `entry`."""
        values = dict(zip(_COLUMNS, _row(docking), strict=True))
        sets = ", ".join(f"{c} = ?" for c in _MUTABLE)
        changed = self._db.execute(
            f"UPDATE dockings SET {sets} WHERE id = ? AND version = ?",
            [*(values[c] for c in _MUTABLE), docking.id, expected_version])
        if changed != 1:
            current = self.get(docking.id)
            raise ConflictError(f"对接 {docking.id} 已被他人更新，现处于「"
                                f"{STAGE_LABELS[current.stage]}」阶段（第 {current.version} 版，"
                                f"而不是第 {expected_version} 版）；请刷新页面后重试",
                                field="version")
        self.append(entry)

    def lock_records(self) -> None:
        """Inside `transaction`: also wait for the records' writers (Store.upsert), so a need
        read here and written back is not overwritten by an edit committed in between."""
        self._db.serialize("changes")

    def append(self, entry: HistoryEntry) -> None:
        """Append one history row (inside a transaction, with the docking write it logs)."""
        self._db.execute(
            f"INSERT INTO docking_history ({_HISTORY}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entry.docking_id, entry.version, iso(entry.at), entry.actor, entry.from_stage,
             entry.to_stage, entry.note))

    # -- reads -------------------------------------------------------------------------------
    def get(self, docking_id: str) -> Docking:
        row = self._db.fetchone(f"{_SELECT} WHERE id = ?", (docking_id,))
        if row is None:
            raise no_such("docking", docking_id)
        return _docking(row)

    def find_pair(self, need_id: str, candidate_id: str) -> Docking | None:
        row = self._db.fetchone(f"{_SELECT} WHERE need_id = ? AND candidate_id = ?",
                                (need_id, candidate_id))
        return _docking(row) if row is not None else None

    def _pair_id(self, need_id: str, candidate_id: str) -> str | None:
        row = self._db.fetchone("SELECT id FROM dockings WHERE need_id = ? AND "
                                "candidate_id = ?", (need_id, candidate_id))
        return str(row[0]) if row else None

    def history(self, docking_id: str) -> list[HistoryEntry]:
        rows = self._db.fetch(
            f"SELECT {_HISTORY} FROM docking_history WHERE docking_id = ? ORDER BY version",
            (docking_id,))
        return [HistoryEntry(docking_id=r[0], version=r[1], at=r[2], actor=r[3],
                             from_stage=r[4], to_stage=r[5], note=r[6]) for r in rows]

    def page(self, query: DockingQuery, *, offset: int = 0,
             limit: int = 50) -> tuple[list[Docking], int]:
        """One page (newest first, or by due date; ties by id) and the total matching `query`."""
        where, args = _where(query)
        sql = f" WHERE {' AND '.join(where)}" if where else ""
        with self._db.transaction():  # count and page from one snapshot
            found = self._db.fetchone(f"SELECT COUNT(*) FROM dockings{sql}", args)
            order = "due_on, id" if query.by_due else "created_at DESC, id"
            rows = self._db.fetch(f"{_SELECT}{sql} ORDER BY {order} LIMIT ? OFFSET ?",
                                  [*args, limit, offset])
        total = int(found[0]) if found else 0
        return [_docking(r) for r in rows], total

    def stage_counts(self, query: DockingQuery) -> dict[str, int]:
        """Dockings per stage under `query` (stages without any are left out)."""
        where, args = _where(query)
        sql = f" WHERE {' AND '.join(where)}" if where else ""
        return {str(r[0]): int(r[1]) for r in self._db.fetch(
            f"SELECT stage, COUNT(*) FROM dockings{sql} GROUP BY stage", args)}

    def for_needs(self, need_ids: Sequence[str]) -> list[Docking]:
        """Every docking of the given needs, by need then id."""
        return self._of_needs(f"{_SELECT} WHERE", need_ids, "need_id, id")

    def all(self) -> list[Docking]:
        """Every docking, by need then candidate."""
        return [_docking(r) for r in self._db.fetch(f"{_SELECT} ORDER BY need_id, candidate_id")]

    def dropped(self, need_ids: Sequence[str] | None = None) -> list[Docking]:
        """Dropped dockings (of `need_ids`, or all), by need then candidate."""
        sql = f"{_SELECT} WHERE stage = 'dropped'"
        if need_ids is None:
            return [_docking(r) for r in self._db.fetch(sql + " ORDER BY need_id, candidate_id")]
        return self._of_needs(f"{sql} AND", need_ids, "need_id, candidate_id")

    def _of_needs(self, head: str, need_ids: Sequence[str], order: str) -> list[Docking]:
        """`head` (a select ending in WHERE or AND) narrowed to `need_ids`, 500 ids a query."""
        out: list[Docking] = []
        wanted = sorted(set(need_ids))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            out.extend(_docking(r) for r in self._db.fetch(
                f"{head} need_id IN ({marks}) ORDER BY {order}", chunk))
        return out

    def need_stages(self, stages: Sequence[str]) -> list[tuple[str, str]]:
        """(need id, stage) of every docking at one of `stages`."""
        marks = ",".join("?" * len(stages))
        return [(str(r[0]), str(r[1])) for r in self._db.fetch(
            f"SELECT need_id, stage FROM dockings WHERE stage IN ({marks})", list(stages))]

    def kpi_dockings(self) -> list[KpiDocking]:
        rows = self._db.fetch("SELECT id, need_id, owner, team, stage, contract_value, "
                              "created_at, due_on, stage_at, signed_on FROM dockings")
        return list(map(KpiDocking._make, rows))

    def kpi_moves(self) -> list[KpiMove]:
        rows = self._db.fetch("SELECT docking_id, version, at, from_stage, to_stage FROM "
                              "docking_history ORDER BY docking_id, version")
        return list(map(KpiMove._make, rows))

    def count(self) -> int:
        row = self._db.fetchone("SELECT COUNT(*) FROM dockings")
        return int(row[0]) if row else 0


class FeedbackRepo:
    """The legacy `feedback` table: append, list, and which rows dockings already applied."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._db: Database = store._db  # noqa: SLF001 - repositories share the Store's database

    def insert(self, query_id: str, candidate_id: str, *, label: str, reason: str | None,
               note: str | None, actor: str | None, at: str) -> int:
        """Append one judgement (call inside a transaction); returns its id."""
        row = self._db.fetchone(
            "INSERT INTO feedback(query_id, candidate_id, label, reason, note, actor, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING fid",
            (query_id, candidate_id, label, reason, note, actor, at))
        assert row is not None  # RETURNING always yields the inserted row
        return int(row[0])

    def rows(self, *, query_id: str | None = None, candidate_id: str | None = None,
             after: int = 0, limit: int | None = None) -> list[FeedbackRow]:
        """Judgements in recording order, optionally for one query and / or candidate."""
        where: list[str] = ["fid > ?"]
        args: list[object] = [after]
        for column, value in (("query_id", query_id), ("candidate_id", candidate_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = ("SELECT fid, query_id, candidate_id, label, reason, note, actor, at FROM feedback"
               f" WHERE {' AND '.join(where)} ORDER BY fid")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [FeedbackRow(int(r[0]), *r[1:]) for r in self._db.fetch(sql, args)]

    def applied(self) -> int:
        """Id of the last judgement already applied to dockings."""
        return int(self.store.get_meta(FEEDBACK_APPLIED, "0") or 0)

    def set_applied(self, fid: int) -> None:
        self.store.set_meta(FEEDBACK_APPLIED, str(fid))


def _where(query: DockingQuery) -> tuple[list[str], list[object]]:
    where: list[str] = []
    args: list[object] = []
    for column, value in (("need_id", query.need_id), ("candidate_id", query.candidate_id),
                          ("owner", query.owner), ("team", query.team),
                          ("source", query.source)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if query.stages:
        where.append(f"stage IN ({','.join('?' * len(query.stages))})")
        args.extend(query.stages)
    if query.due_before is not None:
        where.append(f"due_on < ? AND stage IN ({','.join('?' * len(query.open_stages))})")
        args.extend([query.due_before.isoformat(), *query.open_stages])
    if query.hidden_needs:
        hidden = sorted(query.hidden_needs)
        where.append(f"need_id NOT IN ({','.join('?' * len(hidden))})")
        args.extend(hidden)
    return where, args


def _row(d: Docking) -> tuple[object, ...]:
    c = d.contract
    return (d.id, d.need_id, d.candidate_id, d.candidate_kind, d.source, d.rank, d.confidence,
            d.stage, d.peak_stage, d.reason, d.reason_note, int(d.never_suggest), d.owner,
            d.team, int(d.keep_open), c.contract_type if c else None,
            c.value_wan if c else None, c.signed_on.isoformat() if c else None, d.version,
            iso(d.created_at), d.created_by, iso(d.stage_at),
            d.due_on.isoformat() if d.due_on else None)


def _docking(row: Sequence[object]) -> Docking:
    data = dict(zip(_COLUMNS, row, strict=True))
    contract = None
    if data["contract_type"] is not None:
        value = float(data["contract_value"] or 0.0)  # type: ignore[arg-type]
        contract = Contract(contract_type=data["contract_type"],  # type: ignore[arg-type]
                            value_wan=value if math.isfinite(value) else 0.0,
                            signed_on=data["signed_on"])  # type: ignore[arg-type]
        if not math.isfinite(value):  # stored before non-finite amounts were refused
            contract = contract.model_copy(update={"value_wan": value})
    for name in ("contract_type", "contract_value", "signed_on"):
        data.pop(name)
    data["never_suggest"] = bool(data["never_suggest"])
    data["keep_open"] = bool(data["keep_open"])
    return Docking.model_validate({**data, "contract": contract})
