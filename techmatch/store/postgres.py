"""The shared database for several API nodes: PostgreSQL through psycopg 3 and psycopg_pool.

Statements use the repositories' `?` placeholders, rewritten once per statement text to
psycopg's `%s`. Connections come from a pool in autocommit mode; `transaction()` pins one
connection to the calling thread until commit. Every pooled connection is checked before
use, so after a server restart the first request gets a fresh connection instead of a dead
one; while the server is down calls raise `StoreUnavailableError` (HTTP 503 + Retry-After),
and nothing needs restarting when it is back.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from techmatch.errors import LockedError, StoreUnavailableError
from techmatch.store.db import POSTGRESQL, Params, Row, lock_key

log = logging.getLogger("techmatch.store")
# How long a statement waits for a pooled connection: past it the caller gets
# StoreUnavailableError (HTTP 503 + Retry-After) instead of hanging while the server is away.
POOL_TIMEOUT = 3.0
_CURSORS = itertools.count()
_DOWN = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """`?` placeholders → `%s` (a literal `%` is doubled first, as psycopg expects)."""
    return sql.replace("%", "%%").replace("?", "%s")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, cred = head.partition("//")
    return f"{scheme}//{cred.split(':', 1)[0]}:***@{tail}"


@contextmanager
def _unavailable(url: str) -> Iterator[None]:
    try:
        yield
    except _DOWN as exc:
        raise StoreUnavailableError(f"存储数据库不可用 (store database unavailable): "
                                    f"{redact(url)}: {type(exc).__name__}: "
                                    f"{str(exc).strip()[:200]}") from exc


def _raise_first_failure(url: str, timeout: float) -> None:
    """The pool only says it timed out; one direct connection gives the server's own reason
    (password authentication failed, database "x" does not exist, connection refused), which
    tells the operator whether to fix TECHMATCH_STORE_URL or to wait for the server."""
    try:
        psycopg.connect(url, connect_timeout=max(int(timeout), 2)).close()
    except psycopg.Error as exc:
        raise StoreUnavailableError(
            f"存储数据库不可用 (store database unavailable): {redact(url)}: "
            f"{str(exc).strip()[:300]} — 请检查存储 URL（TECHMATCH_STORE_URL 或 migrate --to："
            f"主机、端口、用户、密码、数据库名）及服务器是否运行 (check the store URL and that "
            f"the server is running)") from exc
    raise StoreUnavailableError(f"存储数据库不可用 (store database unavailable): "
                                f"{redact(url)}: no pooled connection within {timeout:.0f} s")


class PostgresDatabase:
    """A pooled PostgreSQL database; thread-safe, one per process."""

    dialect = POSTGRESQL

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8,
                 timeout: float = POOL_TIMEOUT) -> None:
        self.url = url
        self._local = threading.local()
        self._pool = ConnectionPool(url, min_size=min_size, max_size=max_size, timeout=timeout,
                                    kwargs={"autocommit": True}, open=False,
                                    check=ConnectionPool.check_connection,
                                    name="techmatch-store")
        self._pool.open(wait=False)
        try:
            self._pool.wait(timeout)
        except PoolTimeout:
            self._pool.close()
            _raise_first_failure(url, timeout)

    # -- statements ------------------------------------------------------------------------
    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        pinned = getattr(self._local, "conn", None)
        if pinned is not None:
            yield pinned
            return
        with _unavailable(self.url), self._pool.connection() as conn:
            yield conn

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._conn() as conn, _unavailable(self.url):
            return int(conn.execute(to_pyformat(sql), tuple(params)).rowcount)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if not rows:
            return
        with self._conn() as conn, _unavailable(self.url), conn.cursor() as cur:
            cur.executemany(to_pyformat(sql), [tuple(r) for r in rows])

    def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        with self._conn() as conn, _unavailable(self.url):
            return [tuple(r) for r in conn.execute(to_pyformat(sql), tuple(params)).fetchall()]

    def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        with self._conn() as conn, _unavailable(self.url):
            row = conn.execute(to_pyformat(sql), tuple(params)).fetchone()
        return None if row is None else tuple(row)

    # -- transactions and locks ------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        if getattr(self._local, "conn", None) is not None:
            yield  # joins the transaction this thread already has open
            return
        with _unavailable(self.url), self._pool.connection() as conn:
            try:
                with conn.transaction():
                    self._local.conn = conn
                    yield
            finally:
                self._local.conn = None

    def serialize(self, name: str) -> None:
        """Transaction-level advisory lock: released by COMMIT / ROLLBACK (or a dead client)."""
        if getattr(self._local, "conn", None) is None:
            raise RuntimeError("serialize() needs an open transaction")
        self.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(name),))

    @contextmanager
    def advisory_lock(self, name: str) -> Iterator[None]:
        """A session-level advisory lock on a connection of its own (not the pool's): the
        server releases it when that session ends, including when the process is killed."""
        with _unavailable(self.url):
            conn = psycopg.connect(self.url, autocommit=True)
        try:
            with _unavailable(self.url):
                got = conn.execute("SELECT pg_try_advisory_lock(%s)",
                                   (lock_key(name),)).fetchone()
            if not got or not got[0]:
                raise LockedError(f"锁 {name} 正由本存储的另一个节点持有（{redact(self.url)}）")
            yield
        finally:
            try:  # released before returning: a session's end is noticed by the server
                # only after close() returned, so the next job could still find it held
                conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))
            except psycopg.Error:
                pass  # the session is gone, and the lock with it
            conn.close()

    def lock_held(self, name: str) -> bool:
        """Read from pg_locks: a bigint advisory key shows as classid (high 32 bits) and
        objid (low 32 bits) with objsubid 1, in this database."""
        key = lock_key(name) & 0xFFFFFFFFFFFFFFFF
        row = self.fetchone("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                            "granted AND objsubid = 1 AND classid = CAST(? AS oid) AND "
                            "objid = CAST(? AS oid) AND database = (SELECT oid FROM pg_database "
                            "WHERE datname = current_database())", (key >> 32, key & 0xFFFFFFFF))
        return bool(row and row[0])

    def tables(self) -> list[str]:
        rows = self.fetch("SELECT table_name FROM information_schema.tables WHERE "
                          "table_schema = current_schema() AND table_type = 'BASE TABLE' "
                          "ORDER BY table_name")
        return [str(r[0]) for r in rows]

    def iterate(self, sql: str, params: Params = (), *, size: int = 2000) -> Iterator[Row]:
        """A server-side cursor inside a transaction (joins this thread's open one)."""
        name = f"techmatch_iterate_{next(_CURSORS)}"
        with self.transaction(), self._conn() as conn, _unavailable(self.url), \
                conn.cursor(name=name) as cur:
            cur.execute(to_pyformat(sql), tuple(params))
            while rows := cur.fetchmany(size):
                yield from (tuple(r) for r in rows)

    def columns(self, table: str) -> list[str]:
        rows = self.fetch("SELECT column_name FROM information_schema.columns WHERE "
                          "table_schema = current_schema() AND table_name = ? "
                          "ORDER BY ordinal_position", (table,))
        return [str(r[0]) for r in rows]

    def reset_identities(self) -> None:
        rows = self.fetch("SELECT table_name, column_name FROM information_schema.columns "
                          "WHERE table_schema = current_schema() AND is_identity = 'YES'")
        for table, column in rows:
            self.execute(f'SELECT setval(pg_get_serial_sequence(?, ?), '
                         f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)',
                         (table, column))

    def close(self) -> None:
        self._pool.close()
