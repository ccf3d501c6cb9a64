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

from techmatch.errors import LockedError, StoreUnavailableError
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
        with storage_errors(self.path):
            self._db = connect_wal(self.path, timeout=timeout)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._lock, storage_errors(self.path):
            return int(self._db.execute(sql, tuple(params)).rowcount)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        with self._lock, storage_errors(self.path):
            self._db.executemany(sql, [tuple(r) for r in rows])

    def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock, storage_errors(self.path):
            return self._db.execute(sql, tuple(params)).fetchall()

    def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        with self._lock, storage_errors(self.path):
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
            with storage_errors(self.path):
                self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
                with storage_errors(self.path):
                    self._db.execute("COMMIT")
            except BaseException:
                # SQLite already rolled back after some errors (a full disk): a second
                # ROLLBACK would raise and hide the error that matters
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

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
                raise LockedError(f"锁 {name} 正由进程 {holder} 持有（{path}）") from None
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


# SQLite's words for a disk that is full, read-only or gone: reported as the store being
# unavailable (exit 8, HTTP 503), not as a traceback.
_STORAGE_FAILURES = ("disk i/o error", "database or disk is full", "readonly database",
                     "unable to open database file")
_DAMAGED = ("file is not a database", "malformed")


@contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Translate SQLite's full / read-only / I/O failures into StoreUnavailableError."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if not any(words in str(exc).lower() for words in _STORAGE_FAILURES):
            raise
        raise StoreUnavailableError(storage_message(path, exc)) from exc
    except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
        if not any(words in str(exc).lower() for words in _DAMAGED):
            raise
        raise StoreUnavailableError(
            f"存储 {path} 已损坏或不是 SQLite 数据库（SQLite: {exc}）：techmatch 没有改动它；"
            f"请从备份恢复该文件，或将其移开后重新导入数据") from exc


def storage_message(path: Path, exc: Exception) -> str:
    """What is wrong with the disk under the store, in the operator's terms."""
    folder = path.parent
    try:
        stats = os.statvfs(folder)
    except OSError:
        return f"存储 {path} 无法读写（{exc}）：请检查目录是否存在、权限与磁盘"
    if stats.f_flag & os.ST_RDONLY:
        cause = f"{folder} 所在的文件系统是只读的"
    elif stats.f_bavail * stats.f_frsize < 8 * 1024 * 1024:
        cause = f"磁盘已满（{folder} 剩余 {stats.f_bavail * stats.f_frsize // 1024} KB）"
    else:
        cause = "写入失败"
    return (f"存储 {path} 无法写入：{cause}（SQLite: {exc}）；本次写入未提交，已存储的数据未改动，"
            f"请释放空间或恢复写权限后重试")


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
