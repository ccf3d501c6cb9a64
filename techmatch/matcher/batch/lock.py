"""The batch lock: one run at a time over one store, whichever node starts it.

It is the store's advisory lock `batch`: an `flock` beside an SQLite store, a PostgreSQL
session advisory lock on a shared server (two API nodes starting the nightly batch: one
runs, the other gets LockedError → exit code 6). Both are released by the kernel / server
when their holder dies, so a run killed with SIGKILL never leaves a stale lock behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from techmatch.errors import LockedError
from techmatch.matcher.batch.results import BATCH_LOCK
from techmatch.store import Store

LOCK_NAME = BATCH_LOCK


@contextmanager
def batch_lock(store: Store) -> Iterator[None]:
    """Hold the exclusive batch lock; LockedError at once if another process holds it."""
    with ExitStack() as stack:
        try:
            stack.enter_context(store.advisory_lock(LOCK_NAME))
        except LockedError as exc:
            from techmatch.store.postgres import redact  # the URL without its password
            raise LockedError(f"另一个批量匹配正在运行：{exc}；批量运行从不重叠，请等它结束后"
                              f"再运行（存储 {redact(store.url)}）") from None
        yield
