"""SQLite record store (WAL): the single source of truth; every change gets a sequence number.

Tables: `records` (one row per id, the original JSON, content hash, last change seq, tombstone),
`changes` (append-only log: seq, kind, id, op), `feedback` (staff / outcome judgements) and
`meta`. Other modules add their own tables through `Store.ensure_schema(sql)`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from techmatch.errors import NotFoundError, ValidationError
from techmatch.models.records import KINDS, Record, record_type
from techmatch.store.sqlite import connect_wal

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  data TEXT,
  hash TEXT,
  seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kind ON records(kind, deleted, id);
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_kind ON changes(kind, seq);
CREATE TABLE IF NOT EXISTS feedback (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  query_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  label TEXT NOT NULL,
  reason TEXT,
  note TEXT,
  actor TEXT,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_pair ON feedback(query_id, candidate_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def content_hash(record: Record) -> str:
    """Hash of the record's JSON without timestamps: re-ingesting the same data changes nothing."""
    data = record.model_dump(mode="json", exclude={"created_at", "updated_at"})
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


@dataclass
class UpsertReport:
    """What one upsert batch did, by id."""

    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"inserted": len(self.inserted), "updated": len(self.updated),
                "unchanged": len(self.unchanged)}


@dataclass(frozen=True)
class Change:
    seq: int
    kind: str
    id: str
    op: str


class Store:
    """Thread-safe handle on the store file; one per process, built at start-up."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = connect_wal(self.path, timeout=30.0)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        """The raw connection, for modules that own extra tables (hold `lock` while writing)."""
        return self._db

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def ensure_schema(self, sql: str) -> None:
        with self._lock:
            self._db.executescript(sql)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writes ----------------------------------------------------------------------------
    def upsert(self, records: Sequence[Record]) -> UpsertReport:
        """Insert or replace records in one transaction; identical content is a no-op."""
        report = UpsertReport()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for record in records:
                    self._upsert_one(record, report)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return report

    def _upsert_one(self, record: Record, report: UpsertReport) -> None:
        digest = content_hash(record)
        row = self._db.execute("SELECT kind, hash, deleted FROM records WHERE id = ?",
                               (record.id,)).fetchone()
        if row is not None and row[0] != record.kind and not row[2]:
            raise ValidationError(f"id {record.id!r} is already a {row[0]}, cannot store it as "
                                  f"a {record.kind}", field="id")
        if row is not None and row[1] == digest and not row[2]:
            report.unchanged.append(record.id)
            return
        now = _now()
        if record.created_at is None:
            record = record.model_copy(update={"created_at": datetime.now(timezone.utc)})
        seq = self._log(record.kind, record.id, "upsert", now)
        data = record.model_dump_json()
        self._db.execute(
            "INSERT INTO records(id, kind, data, hash, seq, deleted, updated) "
            "VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT(id) DO UPDATE SET kind=excluded.kind, "
            "data=excluded.data, hash=excluded.hash, seq=excluded.seq, deleted=0, "
            "updated=excluded.updated", (record.id, record.kind, data, digest, seq, now))
        (report.updated if row is not None and not row[2] else report.inserted).append(record.id)

    def _log(self, kind: str, rid: str, op: str, now: str) -> int:
        cur = self._db.execute("INSERT INTO changes(kind, id, op, at) VALUES (?, ?, ?, ?)",
                               (kind, rid, op, now))
        return int(cur.lastrowid or 0)

    def delete(self, rid: str) -> str:
        """Tombstone a record (its kind is returned); unknown or deleted ids raise NotFoundError."""
        with self._lock:
            row = self._db.execute("SELECT kind FROM records WHERE id = ? AND deleted = 0",
                                   (rid,)).fetchone()
            if row is None:
                raise NotFoundError(f"no record with id {rid!r}")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                now = _now()
                seq = self._log(row[0], rid, "delete", now)
                self._db.execute("UPDATE records SET data=NULL, hash=NULL, deleted=1, seq=?, "
                                 "updated=? WHERE id=?", (seq, now, rid))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return str(row[0])

    # -- reads -----------------------------------------------------------------------------
    def get(self, rid: str, kind: str | None = None) -> Record:
        with self._lock:
            row = self._db.execute("SELECT kind, data FROM records WHERE id = ? AND deleted = 0",
                                   (rid,)).fetchone()
        if row is None or (kind is not None and row[0] != kind):
            what = f"{kind} " if kind else "record "
            raise NotFoundError(f"no {what}with id {rid!r}")
        return _load(row[0], row[1])

    def get_many(self, ids: Iterable[str]) -> dict[str, Record]:
        """Live records by id (missing ids are left out)."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, Record] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for kind, data in self._db.execute(
                        f"SELECT kind, data FROM records WHERE deleted = 0 AND id IN ({marks})",
                        chunk):
                    rec = _load(kind, data)
                    out[rec.id] = rec
        return out

    def iter_records(self, kind: str, *, batch: int = 1000) -> Iterator[Record]:
        """Every live record of a kind, ordered by id."""
        _check_kind(kind)
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT id, data FROM records WHERE kind = ? AND deleted = 0 AND id > ? "
                    "ORDER BY id LIMIT ?", (kind, last, batch)).fetchall()
            if not rows:
                return
            for _rid, data in rows:
                yield _load(kind, data)
            last = rows[-1][0]

    def page(self, kind: str, *, offset: int = 0, limit: int = 50) -> list[Record]:
        """Live records of a kind ordered by id, one page."""
        _check_kind(kind)
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM records WHERE kind = ? AND deleted = 0 ORDER BY id "
                "LIMIT ? OFFSET ?", (kind, limit, offset)).fetchall()
        return [_load(kind, r[0]) for r in rows]

    def count(self, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                row = self._db.execute("SELECT COUNT(*) FROM records WHERE deleted = 0")
            else:
                row = self._db.execute("SELECT COUNT(*) FROM records WHERE kind = ? AND "
                                       "deleted = 0", (kind,))
            return int(row.fetchone()[0])

    def last_seq(self, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes")
            else:
                row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes WHERE kind = ?",
                                       (kind,))
            return int(row.fetchone()[0])

    def changes_since(self, seq: int, kind: str | None = None) -> list[Change]:
        """Latest change per id after `seq` (older changes of the same id are superseded)."""
        inner = ("SELECT MAX(seq) AS last FROM changes WHERE seq > ?"
                 + (" AND kind = ?" if kind else "") + " GROUP BY id")
        sql = (f"SELECT c.seq, c.kind, c.id, c.op FROM changes c JOIN ({inner}) m "
               "ON c.seq = m.last ORDER BY c.seq")
        args: tuple[object, ...] = (seq, kind) if kind else (seq,)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [Change(int(s), k, rid, op) for s, k, rid, op in rows]

    def record_seqs(self, kind: str) -> dict[str, int]:
        """id → sequence of its last change, for live records of a kind."""
        with self._lock:
            rows = self._db.execute("SELECT id, seq FROM records WHERE kind = ? AND deleted = 0",
                                    (kind,)).fetchall()
        return {r[0]: int(r[1]) for r in rows}

    # -- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                             "UPDATE SET value = excluded.value", (key, value))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}", field="kind")


def _load(kind: str, data: str) -> Record:
    return record_type(kind).model_validate_json(data)  # type: ignore[return-value]
