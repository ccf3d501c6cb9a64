"""Index follower of the serving process: one background thread keeps every index at the
store's change sequence.

Why a follower and not only "sync after a write": the store is the truth and other processes
(a CLI ingest, another worker, a server killed before its sync finished) add changes this
process never saw. So the thread checks the store's last sequence per kind every
`follow_interval_seconds` (and at once when a write schedules its kind) and syncs any kind
whose index is behind. Encoding costs ~40 ms per record on one core, so writes return at once
and many small writes coalesce into one sync. `lag(kind)` says how far behind an index is
(records, seconds) for /readyz and for `?wait=true` writes that time out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from techmatch.errors import (
    IndexMissingError,
    LockedError,
    StoreUnavailableError,
    TechmatchError,
)
from techmatch.indexers.base import Index, SyncReport
from techmatch.store import Store

log = logging.getLogger("techmatch.api.sync")
LOCKED_RETRY_SECONDS = 1.0
ERROR_RETRY_SECONDS = 30.0


class Syncable(Protocol):
    store: Store

    def sync(self, kinds: tuple[str, ...] = ...) -> list[SyncReport]: ...

    def index(self, kind: str) -> Index: ...


@dataclass(frozen=True)
class Lag:
    """How far the index of one kind is behind the store."""

    records: int
    seconds: float
    store_seq: int
    applied_seq: int

    def as_dict(self) -> dict[str, float | int]:
        return {"records": self.records, "seconds": round(self.seconds, 1),
                "store_seq": self.store_seq, "applied_seq": self.applied_seq}


class IndexSyncer:
    """Follows the store's change log per kind, one sync at a time, off the request path."""

    def __init__(self, engine: Syncable, kinds: Iterable[str], *,
                 interval: float = 1.0) -> None:
        self._engine = engine
        self._store = engine.store
        self._changes = engine.store.changelog
        self._kinds = tuple(kinds)
        self._interval = interval
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._applied: dict[str, int] = {k: self._published_seq(k, warn=True)
                                         for k in self._kinds}
        self._generation: dict[str, str] = {}
        self._retry_at: dict[str, float] = {}
        self.last_error: str | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="techmatch-index-follow",
                                        daemon=True)
        self._thread.start()

    # -- used by routes and /readyz ---------------------------------------------------------
    def schedule(self, kind: str) -> None:
        with self._cond:
            self._pending.add(kind)
            self._retry_at.pop(kind, None)
            self._cond.notify_all()

    def applied(self, kind: str) -> tuple[int | None, str | None]:
        with self._cond:
            return self._applied.get(kind), self._generation.get(kind)

    def lag(self, kind: str) -> Lag:
        """Records (distinct ids) the index of `kind` lacks and the age of the oldest change:
        past what the published index holds, which the follower records only after `sync`
        returns (read in between, /readyz said ready with a lag)."""
        with self._cond:
            applied = self._applied.get(kind, 0)
        applied = max(applied, self._published_seq(kind))
        pending = self._changes.pending(kind, applied)
        return Lag(pending.records, pending.seconds(), max(pending.last_seq, applied), applied)

    def wait(self, kind: str, seq: int, timeout: float) -> bool:
        """Block until the index of `kind` has applied store sequence `seq` (or timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._applied.get(kind, 0) < seq:
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

    # -- the follower thread ----------------------------------------------------------------
    def _published_seq(self, kind: str, *, warn: bool = False) -> int:
        """The sequence the published index of `kind` holds (0: none or unreadable; the
        follower's sync reports why, `warn` logs it at start)."""
        try:
            return self._engine.index(kind).applied_seq
        except IndexMissingError:
            return 0
        except TechmatchError as exc:
            if warn:
                log.warning("index of %s not readable at start: %s", kind, exc)
            return 0

    def _run(self) -> None:
        while True:
            behind = self._behind()
            with self._cond:
                if self._closed:
                    return
                due = self._pending | behind
                self._pending.clear()
                now = time.monotonic()
                due = {k for k in due if self._retry_at.get(k, 0.0) <= now}
                if not due:
                    self._cond.wait(self._interval)
                    continue
            for kind in sorted(due):
                self._sync_one(kind)

    def _behind(self) -> set[str]:
        """Kinds whose store sequence is past what their index applied (store read, cheap)."""
        with self._cond:
            applied = dict(self._applied)
        try:
            return {k for k in self._kinds if self._store.last_seq(k) > applied.get(k, 0)}
        except Exception as exc:  # noqa: BLE001 - a closed store at shutdown must not kill us
            log.warning("cannot read the store's change sequence: %s", exc)
            return set()

    def _sync_one(self, kind: str) -> None:
        try:
            reports = self._engine.sync((kind,))
        except LockedError as exc:
            # Another process (worker, CLI) is building this index: try again shortly.
            log.info("index sync of %s deferred: %s", kind, exc)
            self._retry(kind, LOCKED_RETRY_SECONDS, None)
            return
        except StoreUnavailableError as exc:
            # The shared store (PostgreSQL) is restarting: catch up as soon as it is back.
            log.warning("index sync of %s waits for the store: %s", kind, exc)
            self._retry(kind, float(exc.retry_after), f"{kind}: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - keep the follower alive; the error is reported
            if isinstance(exc, TechmatchError):
                log.error("index sync of %s failed: %s", kind, exc)
            else:
                log.exception("index sync of %s failed", kind)
            self._retry(kind, ERROR_RETRY_SECONDS, f"{kind}: {exc}")
            return
        for report in reports:
            if report.upserted or report.deleted:
                log.info("index %s: +%d -%d → %s (seq %d) in %.2f s", report.kind,
                         report.upserted, report.deleted, report.generation, report.applied_seq,
                         report.seconds)
        with self._cond:
            for report in reports:
                self._applied[report.kind] = report.applied_seq
                self._generation[report.kind] = report.generation
            self.last_error = None
            self._cond.notify_all()

    def _retry(self, kind: str, seconds: float, error: str | None) -> None:
        with self._cond:
            self._retry_at[kind] = time.monotonic() + seconds
            if error is not None:
                self.last_error = error
            self._cond.notify_all()
