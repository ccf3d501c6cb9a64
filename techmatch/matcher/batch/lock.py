"""The batch lock: `fcntl.flock` on `<home>/batch.lock`, so two runs never overlap."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from techmatch.errors import LockedError

LOCK_FILE = "batch.lock"


@contextmanager
def batch_lock(home: Path) -> Iterator[None]:
    """Hold the exclusive batch lock; LockedError at once if another process holds it.

    The kernel releases a flock when its holder dies, so a run killed with SIGKILL never
    leaves a stale lock behind.
    """
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_FILE
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockedError(f"another batch run holds {path} (pid {holder}); wait for it to "
                              "finish — runs never overlap") from None
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
