"""Schema versions: numbered migrations applied in order, recorded in `schema_version`.

Why a small runner and not Alembic: the schema is a dozen tables written as portable DDL
(SQLite spelling, turned into PostgreSQL's by `Dialect.ddl`), the store has no ORM models for
Alembic to compare against, and every process must bring its database up to date at open
time without a separate tool or a migrations folder on disk. The runner is one transaction:
it takes the `migrations` lock (so two nodes opening a fresh PostgreSQL at once do not race),
reads the applied versions and applies the missing ones — all or none.

Rules: never edit an applied migration; add a new version. DDL of version 1 and 2 uses
`IF NOT EXISTS` so stores created before versions were recorded adopt them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from techmatch.errors import StoreTooNewError
from techmatch.store.db import Database, split_statements


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    ddl: str  # portable DDL, SQLite spelling
    run: Callable[[Database], None] | None = None  # a data step after the DDL, same transaction


RECORDS = """
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

BATCH = """
CREATE TABLE IF NOT EXISTS batch_runs (
  run_id TEXT PRIMARY KEY,
  started TEXT NOT NULL,
  finished TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'abandoned')),
  kinds TEXT NOT NULL,
  k INTEGER NOT NULL,
  "full" INTEGER NOT NULL,
  counts TEXT NOT NULL DEFAULT '{}',
  config TEXT NOT NULL DEFAULT '{}',
  generations TEXT NOT NULL DEFAULT '{}',
  seqs TEXT NOT NULL DEFAULT '{}',
  fingerprint TEXT NOT NULL DEFAULT '',
  error TEXT
);
CREATE TABLE IF NOT EXISTS batch_results (
  run_id TEXT NOT NULL,
  need_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  rank INTEGER NOT NULL,
  candidate_id TEXT NOT NULL,
  score REAL NOT NULL,
  confidence REAL,
  routed INTEGER NOT NULL DEFAULT 0,
  explanation TEXT,
  PRIMARY KEY (need_id, kind, rank)
);
CREATE INDEX IF NOT EXISTS batch_results_run ON batch_results(run_id);
CREATE INDEX IF NOT EXISTS batch_results_candidate ON batch_results(kind, candidate_id);
CREATE TABLE IF NOT EXISTS batch_state (
  need_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  run_id TEXT NOT NULL,
  hits INTEGER NOT NULL,
  PRIMARY KEY (need_id, kind)
);
CREATE TABLE IF NOT EXISTS batch_topics (
  run_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  keyword TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (run_id, scope, keyword)
);
CREATE TABLE IF NOT EXISTS batch_plan (
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  need_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (run_id, kind, need_id)
);
CREATE TABLE IF NOT EXISTS batch_checkpoints (
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  last_need_id TEXT NOT NULL DEFAULT '',
  done INTEGER NOT NULL DEFAULT 0,
  total INTEGER NOT NULL,
  chunks INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, kind)
);
"""

# Planned needs a chunk did not store, a staff action having changed them during the run
# (`PlanRepository.mark_fresh`): counted apart from the recomputed ones.
PLAN_FRESH = "ALTER TABLE batch_plan ADD COLUMN fresh INTEGER NOT NULL DEFAULT 0;"

# Each record's id as a typed id is compared (`models.ids.id_key`, computed in Python:
# NFKC, trimmed, case-folded in every script), so a search looks ids up by the same key on
# both databases (`Store.ids_by_key`) — SQL's LOWER folds ASCII letters only.
ID_KEY = """
ALTER TABLE records ADD COLUMN id_key TEXT;
CREATE INDEX IF NOT EXISTS records_id_key ON records(kind, id_key);
"""


def backfill_id_keys(db: Database) -> None:
    """The key of every record stored before the column (tombstones too: one may come back)."""
    from techmatch.models.ids import id_key

    rows = db.fetch("SELECT id FROM records WHERE id_key IS NULL")
    db.executemany("UPDATE records SET id_key = ? WHERE id = ?",
                   [(id_key(str(r[0])), r[0]) for r in rows])


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "records, change log, feedback, meta", RECORDS),
    Migration(2, "batch runs, results, state, topics, plans, checkpoints", BATCH),
)


def registered() -> tuple[Migration, ...]:
    """Every migration: the core ones above, then the tables whose repositories keep their
    DDL beside their statements (dockings, programme), read when a store is opened."""
    from techmatch.store import dockings, programme

    return (*MIGRATIONS,
            Migration(3, "dockings and their history", dockings.SCHEMA),
            Migration(4, "programme registries and targets", programme.SCHEMA),
            Migration(5, "pilot cities keyed by name and province", "",
                      run=programme.rekey_pilot_cities),
            Migration(6, "batch plans mark needs left to a staff action's refresh",
                      PLAN_FRESH),
            Migration(7, "records keyed by their folded id (typed ids)", ID_KEY,
                      run=backfill_id_keys))

_VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                  "name TEXT NOT NULL, applied TEXT NOT NULL)")


def applied_versions(db: Database) -> list[int]:
    if "schema_version" not in db.tables():
        return []
    return [int(r[0]) for r in db.fetch("SELECT version FROM schema_version ORDER BY version")]


def migrate(db: Database, migrations: tuple[Migration, ...] | None = None) -> list[int]:
    """Apply the missing migrations in one transaction; the versions applied now."""
    migrations = registered() if migrations is None else migrations
    done: list[int] = []
    with db.transaction():
        db.serialize("migrations")
        refuse_newer(db, migrations)  # before any write: a newer store stays as it is
        db.execute(db.dialect.ddl(_VERSION_TABLE))
        have = {int(r[0]) for r in db.fetch("SELECT version FROM schema_version")}
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version in have:
                continue
            for statement in split_statements(db.dialect.ddl(migration.ddl)):
                db.execute(statement)
            if migration.run is not None:
                migration.run(db)
            db.execute("INSERT INTO schema_version(version, name, applied) VALUES (?, ?, ?)",
                       (migration.version, migration.name,
                        datetime.now(timezone.utc).isoformat(timespec="seconds")))
            done.append(migration.version)
    return done


def refuse_newer(db: Database, migrations: tuple[Migration, ...]) -> None:
    """StoreTooNewError when the store records a schema version none of `migrations` is: a
    newer techmatch migrated it, and this code would misread (or damage) its tables."""
    if "schema_version" not in db.tables():
        return
    known = {m.version for m in migrations}
    have = {int(r[0]) for r in db.fetch("SELECT version FROM schema_version")}
    unknown = sorted(have - known)
    if unknown:
        from techmatch.store.postgres import redact

        raise StoreTooNewError(
            f"存储 {redact(db.url)} 的结构版本为 {max(have)}（含本版本不认识的 "
            f"{', '.join(map(str, unknown))}），这个版本的 techmatch 只支持到 {max(known)}："
            f"它由更新的 techmatch 迁移过，请升级 techmatch 后再打开；存储未作任何修改 "
            f"(store schema {max(have)} is newer than this techmatch supports: "
            f"{max(known)}; upgrade techmatch)")


def latest_version() -> int:
    return max(m.version for m in registered())
