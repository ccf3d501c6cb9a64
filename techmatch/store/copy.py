"""Copy a whole store into another (an embedded home into PostgreSQL) and prove it equal.

Every table of the source except `schema_version` is copied row by row into the target (whose
own migrations made the tables) inside one target transaction, so a failed copy leaves the
target empty. Identity keys (change sequence, feedback ids) keep their values and the
target's key generators are moved past them. Then both stores are read again and compared
per table: row count and an order-independent checksum (sum of SHA-256 of each row's
canonical JSON, modulo 2^128), so equal tables give equal sums whatever order rows come in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from techmatch.errors import BackendError, ConfigError
from techmatch.store.db import Database, Row
from techmatch.store.records import Store

SKIP = ("schema_version",)
_MOD = 1 << 128


@dataclass(frozen=True)
class TableCheck:
    """One table compared after the copy."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def equal(self) -> bool:
        return (self.source_rows == self.target_rows
                and self.source_checksum == self.target_checksum)


@dataclass
class CopyReport:
    source: str
    target: str
    tables: list[TableCheck] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return all(t.equal for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "equal": self.equal,
                "tables": [{**asdict(t), "equal": t.equal} for t in self.tables]}


def canonical(row: Row) -> bytes:
    """The same bytes for the same values on SQLite and PostgreSQL."""
    return json.dumps([_value(v) for v in row], ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _value(value: object) -> object:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    return value


def table_checksum(db: Database, table: str, columns: list[str]) -> tuple[int, str]:
    """(rows, checksum) of one table over `columns`."""
    total, rows = 0, 0
    for row in db.iterate(f"SELECT {_cols(columns)} FROM {_q(table)}"):
        total = (total + int.from_bytes(hashlib.sha256(canonical(row)).digest()[:16], "big")) \
            % _MOD
        rows += 1
    return rows, f"{total:032x}"


def copy_store(source: Store, target: Store, *, batch: int = 1000) -> CopyReport:
    """Copy every table of `source` into the empty `target`; verify; raise when unequal."""
    src, dst = source._db, target._db  # noqa: SLF001 - the copy works below the repositories
    tables = [t for t in src.tables() if t not in SKIP]
    plan = {t: _columns(src, dst, t) for t in tables}
    _require_empty(dst, tables)
    with dst.transaction():
        dst.serialize("changes")
        for table, columns in plan.items():
            sql = (f"INSERT INTO {_q(table)} ({_cols(columns)}) VALUES "
                   f"({', '.join('?' * len(columns))})")
            chunk: list[Row] = []
            for row in src.iterate(f"SELECT {_cols(columns)} FROM {_q(table)}", size=batch):
                chunk.append(row)
                if len(chunk) >= batch:
                    dst.executemany(sql, chunk)
                    chunk = []
            dst.executemany(sql, chunk)
        dst.reset_identities()
    report = CopyReport(source=source.url, target=target.url)
    for table, columns in plan.items():
        n_src, sum_src = table_checksum(src, table, columns)
        n_dst, sum_dst = table_checksum(dst, table, columns)
        report.tables.append(TableCheck(table, n_src, n_dst, sum_src, sum_dst))
    if not report.equal:
        bad = ", ".join(t.table for t in report.tables if not t.equal)
        raise BackendError(f"复制后校验不一致：{bad}")
    return report


def _columns(src: Database, dst: Database, table: str) -> list[str]:
    have = dst.columns(table)
    if not have:
        raise ConfigError(f"目标存储没有表 {table}：请先用这一版 techmatch 打开它"
                          "（迁移会建好所有表）")
    columns = src.columns(table)
    missing = [c for c in columns if c not in have]
    if missing:
        raise ConfigError(f"目标表 {table} 缺少列 {'、'.join(missing)}：请先用这一版 techmatch "
                          "打开它（迁移会补齐）")
    return columns


def _require_empty(dst: Database, tables: list[str]) -> None:
    full = []
    for table in tables:
        row = dst.fetchone(f"SELECT COUNT(*) FROM {_q(table)}")
        if row and row[0]:
            full.append(f"{table}（{row[0]} 行）")
    if full:
        raise ConfigError(f"目标存储不是空的：{'、'.join(full)}；请复制到一个新的空数据库")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cols(columns: list[str]) -> str:
    return ", ".join(_q(c) for c in columns)
