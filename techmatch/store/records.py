"""The record store: the single source of truth; every change gets a sequence number.

Tables (created by `migrations.py`): `records` (one row per id, the original JSON, content
hash, last change seq, tombstone), `changes` (append-only log: seq, kind, id, op),
`feedback` and `meta`. The database is SQLite (embedded, a path) or PostgreSQL (a
`postgresql://` URL, several API nodes); the other repositories hang off the `Store`.

Change sequences on PostgreSQL: a sequence number is taken when a row is inserted but becomes
visible at commit, so two concurrent writers could commit 8 before 7 and a follower reading
`changes_since(7)` would skip 7 for ever. Every writing transaction therefore takes the
`changes` lock first (`Database.serialize`) and numbers its changes after the last committed
one: sequence numbers commit in order, without gaps, on both stores.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from techmatch.errors import ConfigError, ValidationError, no_such
from techmatch.models.ids import id_key
from techmatch.models.records import KIND_LABELS, KINDS, Record, record_type
from techmatch.store.db import Database, split_statements
from techmatch.store.migrations import applied_versions, migrate

if TYPE_CHECKING:
    from techmatch.store.batch import BatchRepository
    from techmatch.store.changelog import ChangeLog
    from techmatch.store.checkpoints import PlanRepository
    from techmatch.store.listing import RecordListing
    from techmatch.store.parsed import ParsedRecords


CHUNK = 500  # records per statement batch in `upsert`


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
    """Thread-safe handle on the store's database; one per process, built at start-up.

    `target`: a path (SQLite file), a `postgresql://` URL, or an open `Database`.
    """

    def __init__(self, target: Path | str | Database) -> None:
        self._db = open_database(target)
        try:
            migrate(self._db)  # refuses a store a newer techmatch migrated (StoreTooNewError)
        except BaseException:
            self._db.close()
            raise

    @property
    def url(self) -> str:
        """Where the store lives (`sqlite:///…` or the PostgreSQL URL)."""
        return self._db.url

    @property
    def dialect(self) -> str:
        return self._db.dialect.name

    def schema_versions(self) -> list[int]:
        """Applied schema versions (`migrations.py`), ascending."""
        return applied_versions(self._db)

    def transaction(self) -> AbstractContextManager[None]:
        """Group repository writes of this thread into one transaction (re-entrant)."""
        return self._db.transaction()

    def advisory_lock(self, name: str) -> AbstractContextManager[None]:
        """Hold a named lock across every process of this store (LockedError when taken)."""
        return self._db.advisory_lock(name)

    def lock_held(self, name: str) -> bool:
        """Whether a live process holds the named lock (asked without taking it)."""
        return self._db.lock_held(name)

    def ensure_schema(self, sql: str) -> None:
        """Create tables from portable DDL (idempotent `IF NOT EXISTS` statements)."""
        with self._db.transaction():
            self._db.serialize("migrations")
            for statement in split_statements(self._db.dialect.ddl(sql)):
                self._db.execute(statement)

    @functools.cached_property
    def batch(self) -> BatchRepository:
        """Batch runs, per-need results and state, unmatched topics."""
        from techmatch.store.batch import BatchRepository

        return BatchRepository(self._db)

    @functools.cached_property
    def plans(self) -> PlanRepository:
        """Batch run plans and checkpoints."""
        from techmatch.store.checkpoints import PlanRepository

        return PlanRepository(self._db)

    @functools.cached_property
    def changelog(self) -> ChangeLog:
        """How far behind the store an index is (pending changes per kind)."""
        from techmatch.store.changelog import ChangeLog

        return ChangeLog(self._db)

    @functools.cached_property
    def listing(self) -> RecordListing:
        """Filtered record pages and confidential need ids."""
        from techmatch.store.listing import RecordListing

        return RecordListing(self._db)

    @functools.cached_property
    def parsed(self) -> ParsedRecords:
        """Live records by id, parsed once per change (ranking's candidates recur)."""
        from techmatch.store.parsed import ParsedRecords

        return ParsedRecords(self._db)

    def close(self) -> None:
        self._db.close()

    # -- writes ----------------------------------------------------------------------------
    def upsert(self, records: Sequence[Record]) -> UpsertReport:
        """Insert or replace records in one transaction; identical content is a no-op.

        Work per chunk of 500 is a handful of statements, not three per record: one read of
        the stored kinds / hashes, then the change rows and the record rows as two batched
        inserts (what makes PostgreSQL's bulk ingest a few round trips per chunk).
        """
        report = UpsertReport()
        with self._db.transaction():
            self._db.serialize("changes")
            seq = self.last_seq()  # writers are serialised: the log grows from here
            for start in range(0, len(records), CHUNK):
                seq = self._upsert_chunk(records[start:start + CHUNK], seq, report)
        return report

    def _upsert_chunk(self, chunk: Sequence[Record], seq: int, report: UpsertReport) -> int:
        stored = self._stored([r.id for r in chunk])
        digests = [content_hash(r) for r in chunk]
        # An update without a creation time keeps the stored one: editing a need posted in
        # January does not make it posted today (KPIs count needs by creation date).
        posted = self._created_at([r.id for r, digest in zip(chunk, digests, strict=True)
                                   if r.created_at is None and r.id in stored
                                   and not stored[r.id][2] and stored[r.id][1] != digest])
        now = _now()
        changes: list[tuple[object, ...]] = []
        rows: list[tuple[object, ...]] = []
        for record, digest in zip(chunk, digests, strict=True):
            kind, stored_hash, deleted = stored.get(record.id, (record.kind, None, 1))
            live = not deleted
            if live and kind != record.kind:
                raise ValidationError(f"编号 {record.id} 已被另一类记录（{KIND_LABELS[kind]}）"
                                      f"使用，不能存为{KIND_LABELS[record.kind]}", field="id")
            if live and stored_hash == digest:
                report.unchanged.append(record.id)
                continue
            if record.created_at is None:
                record = record.model_copy(update={"created_at": posted.get(record.id)
                                                   or datetime.now(timezone.utc)})
            seq += 1
            changes.append((seq, record.kind, record.id, "upsert", now))
            rows.append((record.id, id_key(record.id), record.kind, record.model_dump_json(),
                         digest, seq, now))
            stored[record.id] = (record.kind, digest, 0)  # a repeated id sees this version
            (report.updated if live else report.inserted).append(record.id)
        self._db.executemany("INSERT INTO changes(seq, kind, id, op, at) VALUES (?, ?, ?, ?, ?)",
                             changes)
        self._db.executemany(
            "INSERT INTO records(id, id_key, kind, data, hash, seq, deleted, updated) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT(id) DO UPDATE SET "
            "id_key=excluded.id_key, kind=excluded.kind, data=excluded.data, "
            "hash=excluded.hash, seq=excluded.seq, deleted=0, updated=excluded.updated", rows)
        return seq

    def _created_at(self, ids: Sequence[str]) -> dict[str, datetime]:
        """id → stored creation time of the live records among `ids` that have one."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        out: dict[str, datetime] = {}
        for rid, data in self._db.fetch(f"SELECT id, data FROM records WHERE deleted = 0 "
                                        f"AND id IN ({marks})", list(ids)):
            created = json.loads(data).get("created_at")
            if created:
                out[str(rid)] = datetime.fromisoformat(str(created))
        return out

    def _stored(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None, int]]:
        """id → (kind, hash, deleted) of the stored rows among `ids`."""
        marks = ",".join("?" * len(ids))
        rows = self._db.fetch(f"SELECT id, kind, hash, deleted FROM records WHERE id IN "
                              f"({marks})", list(ids)) if ids else []
        return {r[0]: (r[1], r[2], int(r[3])) for r in rows}

    def _log(self, kind: str, rid: str, op: str, now: str) -> int:
        """Append one change (inside a serialised transaction); its sequence number."""
        seq = self.last_seq() + 1
        self._db.execute("INSERT INTO changes(seq, kind, id, op, at) VALUES (?, ?, ?, ?, ?)",
                         (seq, kind, rid, op, now))
        return seq

    def delete(self, rid: str) -> str:
        """Tombstone a record (its kind is returned); unknown or deleted ids raise NotFoundError."""
        with self._db.transaction():
            self._db.serialize("changes")
            row = self._db.fetchone("SELECT kind, data FROM records WHERE id = ? AND "
                                    "deleted = 0", (rid,))
            if row is None:
                raise no_such("record", rid)
            now = _now()
            seq = self._log(row[0], rid, "delete", now)
            self._db.execute("UPDATE records SET data=?, hash=NULL, deleted=1, seq=?, "
                             "updated=? WHERE id=?", (_tombstone(row[1]), seq, now, rid))
            return str(row[0])

    # -- reads -----------------------------------------------------------------------------
    def get(self, rid: str, kind: str | None = None) -> Record:
        row = self._db.fetchone("SELECT kind, data FROM records WHERE id = ? AND deleted = 0",
                                (rid,))
        if row is None or (kind is not None and row[0] != kind):
            raise no_such(kind or "record", rid)
        return _load(row[0], row[1])

    def get_many(self, ids: Iterable[str]) -> dict[str, Record]:
        """Live records by id (missing ids are left out)."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, Record] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for kind, data in self._db.fetch(
                    f"SELECT kind, data FROM records WHERE deleted = 0 AND id IN ({marks})",
                    chunk):
                rec = _load(kind, data)
                out[rec.id] = rec
        return out

    def ids_by_key(self, kind: str, key: str) -> list[str]:
        """Live ids of `kind` whose key is `key` (`models.ids.id_key`, computed in Python
        on both sides: a search's typed id; the `id_key` column, written with each record and
        back-filled by migration 7)."""
        _check_kind(kind)
        # sorted here: ORDER BY id makes SQLite walk the kind's ids (records_kind) instead
        rows = self._db.fetch("SELECT id FROM records WHERE kind = ? AND id_key = ? "
                              "AND deleted = 0", (kind, key))
        return sorted(str(r[0]) for r in rows)

    def iter_records(self, kind: str, *, batch: int = 1000) -> Iterator[Record]:
        """Every live record of a kind, ordered by id."""
        _check_kind(kind)
        last = ""
        while True:
            rows = self._db.fetch(
                "SELECT id, data FROM records WHERE kind = ? AND deleted = 0 AND id > ? "
                "ORDER BY id LIMIT ?", (kind, last, batch))
            if not rows:
                return
            for _rid, data in rows:
                yield _load(kind, data)
            last = rows[-1][0]

    def page(self, kind: str, *, offset: int = 0, limit: int = 50) -> list[Record]:
        """Live records of a kind ordered by id, one page."""
        _check_kind(kind)
        rows = self._db.fetch(
            "SELECT data FROM records WHERE kind = ? AND deleted = 0 ORDER BY id "
            "LIMIT ? OFFSET ?", (kind, limit, offset))
        return [_load(kind, r[0]) for r in rows]

    def count(self, kind: str | None = None) -> int:
        if kind is None:
            row = self._db.fetchone("SELECT COUNT(*) FROM records WHERE deleted = 0")
        else:
            row = self._db.fetchone("SELECT COUNT(*) FROM records WHERE kind = ? AND "
                                    "deleted = 0", (kind,))
        return int(row[0]) if row else 0

    def last_seq(self, kind: str | None = None) -> int:
        if kind is None:
            row = self._db.fetchone("SELECT COALESCE(MAX(seq), 0) FROM changes")
        else:
            row = self._db.fetchone("SELECT COALESCE(MAX(seq), 0) FROM changes WHERE kind = ?",
                                    (kind,))
        return int(row[0]) if row else 0

    def changes_since(self, seq: int, kind: str | None = None) -> list[Change]:
        """Latest change per id after `seq` (older changes of the same id are superseded)."""
        inner = ("SELECT MAX(seq) AS last FROM changes WHERE seq > ?"
                 + (" AND kind = ?" if kind else "") + " GROUP BY id")
        sql = (f"SELECT c.seq, c.kind, c.id, c.op FROM changes c JOIN ({inner}) m "
               "ON c.seq = m.last ORDER BY c.seq")
        args: tuple[object, ...] = (seq, kind) if kind else (seq,)
        rows = self._db.fetch(sql, args)
        return [Change(int(s), k, rid, op) for s, k, rid, op in rows]

    def record_seqs(self, kind: str) -> dict[str, int]:
        """id → sequence of its last change, for live records of a kind."""
        rows = self._db.fetch("SELECT id, seq FROM records WHERE kind = ? AND deleted = 0",
                              (kind,))
        return {r[0]: int(r[1]) for r in rows}

    # -- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._db.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                         "UPDATE SET value = excluded.value", (key, value))


def open_database(target: Path | str | Database) -> Database:
    """A path → SQLite; a `postgresql://` URL → PostgreSQL; a Database is used as it is."""
    if isinstance(target, str) and target.startswith(("postgresql://", "postgres://")):
        from techmatch.store.postgres import PostgresDatabase

        return PostgresDatabase(target)
    if isinstance(target, str) and _URL_SCHEME.match(target) \
            and not target.startswith("sqlite:///"):
        # not a file name: `mysql://…` or a typo such as `postgresql:/…` would otherwise
        # become an empty SQLite file below the working directory, silently not shared
        raise ConfigError(f"不支持存储 URL {_without_credentials(target)!r}：请用 "
                          "postgresql://user@host:5432/db（TECHMATCH_STORE_URL、migrate --to），"
                          "或不设 TECHMATCH_STORE_URL 而用 <home>/store.sqlite")
    if isinstance(target, (str, Path)):
        from techmatch.store.sqlite import SQLiteDatabase

        path = str(target)
        return SQLiteDatabase(Path(path[len("sqlite:///"):] if path.startswith("sqlite:///")
                                   else path))
    return target


_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")


def _without_credentials(url: str) -> str:
    """The URL without user:password, for the message."""
    return re.sub(r"//[^/@]*@", "//", url)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError(f"未知记录类型 {kind!r}；可选：{'、'.join(KINDS)}", field="kind")


def _load(kind: str, data: str) -> Record:
    return record_type(kind).model_validate_json(data)  # type: ignore[return-value]


def _tombstone(data: str | None) -> str | None:
    """What a deleted record keeps of its data: only that it was confidential, so the
    dockings that outlive a confidential need stay hidden from read keys; nothing else."""
    try:
        confidential = bool(data) and json.loads(str(data)).get("confidential") is True
    except (ValueError, AttributeError):
        confidential = False
    return '{"confidential": true}' if confidential else None
