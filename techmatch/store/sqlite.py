"""The embedded database (SQLite in WAL mode), and opening SQLite files shared by processes."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from techmatch.errors import LockedError
from techmatch.store.db import SQLITE, Params, Row


def connect_wal(path: Path, *, timeout: float = 120.0) -> sqlite3.Connection:
    """An autocommit connection in WAL mode.

    Switching a new file to WAL needs an exclusive lock that SQLite's busy timeout does not
    wait for, so two processes creating the same file at once (test workers, two CLI runs)
    would see "database is locked": check the mode first and retry the switch until `timeout`.
    """
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return db
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                db.close()
                if "locked" in str(exc):
                    raise LockedError(f"{path} stayed locked for {timeout:.0f} s") from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


class SQLiteDatabase:
    """The embedded database: one WAL connection per process, serialised by a re-entrant lock.

    A transaction is `BEGIN IMMEDIATE` … `COMMIT`, which already orders writers across
    processes, so `serialize` has nothing to add. The advisory lock is an `flock` on
    `<store folder>/<name>.lock`: the kernel drops it when its holder dies.
    """

    dialect = SQLITE

    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.url = f"sqlite:///{self.path}"
        self._lock = threading.RLock()
        self._depth = 0
        self._db = connect_wal(self.path, timeout=timeout)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._lock:
            return int(self._db.execute(sql, tuple(params)).rowcount)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        with self._lock:
            self._db.executemany(sql, [tuple(r) for r in rows])

    def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        with self._lock:
            row: Row | None = self._db.execute(sql, tuple(params)).fetchone()
            return row

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._db.execute("ROLLBACK")
                raise
            self._depth = 0
            self._db.execute("COMMIT")

    def serialize(self, name: str) -> None:
        """BEGIN IMMEDIATE already holds the database's single write lock."""

    @contextmanager
    def advisory_lock(self, name: str) -> Iterator[None]:
        path = self.path.parent / f"{name}.lock"
        with open(path, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise LockedError(f"lock {name!r} is held by another process (pid {holder}, "
                                  f"{path})") from None
            try:
                handle.seek(0)
                handle.truncate()
                handle.write(str(os.getpid()))
                handle.flush()
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)

    def lock_held(self, name: str) -> bool:
        """Read from the kernel's lock table (taking the lock, even shared, to test it would
        make a job starting at that instant fail as locked); without /proc/locks, whether
        the pid the holder wrote into the lock file is alive."""
        path = self.path.parent / f"{name}.lock"
        try:
            info = path.stat()
        except FileNotFoundError:
            return False
        try:
            table = Path("/proc/locks").read_text(encoding="ascii")
        except OSError:
            return _pid_alive(path)
        inode = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
        return any(fields[1] == "FLOCK" and fields[5] == inode
                   for fields in (line.split() for line in table.splitlines())
                   if len(fields) > 5)

    def iterate(self, sql: str, params: Params = (), *, size: int = 2000) -> Iterator[Row]:
        with self._lock:
            cursor = self._db.execute(sql, tuple(params))
            while rows := cursor.fetchmany(size):
                yield from rows

    def columns(self, table: str) -> list[str]:
        return [str(r[1]) for r in self.fetch(f"PRAGMA table_info({_quoted(table)})")]

    def reset_identities(self) -> None:
        """SQLite moves AUTOINCREMENT past explicitly inserted keys by itself."""

    def tables(self) -> list[str]:
        rows = self.fetch("SELECT name FROM sqlite_master WHERE type = 'table' "
                          "AND name NOT LIKE 'sqlite_%' ORDER BY name")
        return [str(r[0]) for r in rows]

    def backup(self, target: Path) -> None:
        """A consistent copy of the database file (SQLite's online backup)."""
        with self._lock:
            dest = sqlite3.connect(target)
            try:
                self._db.backup(dest)
            finally:
                dest.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pid_alive(lock_file: Path) -> bool:
    """Whether the process whose pid a lock holder wrote into `lock_file` is alive."""
    try:
        pid = int(lock_file.read_text(encoding="utf-8").strip() or "0")
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
