"""Index follow-up after API writes: one background thread runs `engine.sync((kind,))`.

Why in the background: a write commits to the store (the truth) at once, while encoding new
text costs ~40 ms per record on one core; staff should not wait for that, and many small
writes coalesce into one sync per kind. Callers that need read-your-write pass `wait=true`
and block (bounded) until the index has applied their store sequence.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from techmatch.errors import LockedError, TechmatchError
from techmatch.indexers.base import SyncReport

log = logging.getLogger("techmatch.api.sync")
RETRY_SECONDS = 1.0


class Syncable(Protocol):
    def sync(self, kinds: tuple[str, ...] = ...) -> list[SyncReport]: ...


class IndexSyncer:
    """Coalesces sync requests per kind and runs them one at a time off the request path."""

    def __init__(self, engine: Syncable) -> None:
        self._engine = engine
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._applied: dict[str, int] = {}
        self._generation: dict[str, str] = {}
        self.last_error: str | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="techmatch-index-sync",
                                        daemon=True)
        self._thread.start()

    def schedule(self, kind: str) -> None:
        with self._cond:
            self._pending.add(kind)
            self._cond.notify_all()

    def applied(self, kind: str) -> tuple[int | None, str | None]:
        with self._cond:
            return self._applied.get(kind), self._generation.get(kind)

    def wait(self, kind: str, seq: int, timeout: float) -> bool:
        """Block until the index of `kind` has applied store sequence `seq` (or timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._applied.get(kind, -1) < seq:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return False
                self._cond.wait(left)
            return True

    def close(self, timeout: float = 30.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                kind = min(self._pending)
                self._pending.discard(kind)
            self._sync_one(kind)

    def _sync_one(self, kind: str) -> None:
        try:
            reports = self._engine.sync((kind,))
        except LockedError as exc:
            # Another process (worker, CLI) is building this index: try again shortly.
            log.info("index sync of %s deferred: %s", kind, exc)
            time.sleep(RETRY_SECONDS)
            self.schedule(kind)
            return
        except Exception as exc:  # noqa: BLE001 - keep the worker alive; the error is reported
            if not isinstance(exc, TechmatchError):
                log.exception("index sync of %s failed", kind)
            else:
                log.error("index sync of %s failed: %s", kind, exc)
            with self._cond:
                self.last_error = f"{kind}: {exc}"
                self._cond.notify_all()
            return
        with self._cond:
            for report in reports:
                self._applied[report.kind] = report.applied_seq
                self._generation[report.kind] = report.generation
            self.last_error = None
            self._cond.notify_all()
