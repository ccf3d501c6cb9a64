"""Per-app state: settings, keys, and the engine / service loaded once by the lifespan."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from techmatch.api.security import KeyRing
from techmatch.api.syncer import IndexSyncer
from techmatch.api.visibility import Visibility
from techmatch.config import Settings
from techmatch.errors import BackendError, IndexMismatchError, IndexMissingError, TechmatchError
from techmatch.matcher.crosslingual import default_dictionary
from techmatch.matcher.engine import Engine
from techmatch.models.records import KINDS

log = logging.getLogger("techmatch.api")
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # seconds between start-up attempts while a backend is down


@dataclass
class AppState:
    """Everything a request needs; heavy members are None until `load` has finished."""

    settings: Settings
    keyring: KeyRing
    anonymous: bool
    engine: Engine | None = None
    service: Any = None
    owns_engine: bool = False
    syncer: IndexSyncer | None = None
    visibility: Visibility | None = None
    phase: str = "loading"
    error: str = ""
    retryable: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)

    def load(self) -> None:
        """`load_once`, again with back-off while the store's server or the Elasticsearch
        cluster cannot be reached (a node that starts before them becomes ready when they
        are up); other failures are final. `stop_loading` ends the retries."""
        delay = RETRY_FIRST
        while not self.load_once() and self.retryable and not self._stop.wait(delay):
            delay = min(delay * 2, RETRY_MAX)

    def stop_loading(self) -> None:
        self._stop.set()

    def load_once(self) -> bool:
        """Build the engine and service (unless injected) and open every built index."""
        self.retryable = False
        try:
            if self.engine is None:
                self.engine = Engine.open(self.settings)
                self.owns_engine = True
            if self.service is None:
                from techmatch.matcher.service import MatchService

                self.service = MatchService(self.engine)
            self.visibility = Visibility(self.engine.store)
            for kind in KINDS:
                try:
                    self.engine.index(kind)
                except IndexMissingError:
                    continue
                except IndexMismatchError as exc:
                    # built by another version or configuration (an index layout change after
                    # an upgrade): the follower below rebuilds it in full from the store, as
                    # `techmatch index` would; until then /readyz says which kind is missing
                    log.warning("%s 索引将由服务从存储完整重建：%s", kind, exc)
                    continue
            # The query translation dictionary (~1 s to parse) before "ready", not on the first
            # requests (techmatch.matcher.crosslingual).
            default_dictionary()
            # The follower brings every index up to the store at start and keeps it there.
            self.syncer = IndexSyncer(self.engine, KINDS,
                                      interval=self.settings.follow_interval_seconds)
            self.phase = "ready"
            return True
        except TechmatchError as exc:
            self.retryable = isinstance(exc, BackendError)
            log.error("start-up failed%s: %s", " (retrying)" if self.retryable else "", exc)
            self.phase, self.error = "error", str(exc)
        except Exception as exc:  # noqa: BLE001 - keep /healthz up and report why not ready
            log.exception("start-up failed")
            self.phase, self.error = "error", f"{type(exc).__name__}: {exc}"
        return False

    def readiness(self) -> tuple[bool, str, dict[str, str | None], dict[str, int]]:
        """(ready, detail, generation per kind, documents per kind)."""
        if self.phase != "ready" or self.engine is None:
            return False, self.error or "引擎与索引正在加载", {}, {}
        generations: dict[str, str | None] = {}
        documents: dict[str, int] = {}
        missing = []
        for kind in KINDS:
            try:
                idx = self.engine.index(kind)
            except IndexMissingError:
                generations[kind] = None
                if self.engine.store.count(kind):
                    missing.append(kind)
                continue
            except TechmatchError as exc:
                return False, str(exc), generations, documents
            generations[kind], documents[kind] = str(idx.generation), idx.count()
        if missing:
            return (False, f"{', '.join(missing)} 在存储中有记录但还没有索引：正在建立（或运行 "
                    f"techmatch index）", generations, documents)
        return True, "", generations, documents

    def lag(self) -> tuple[dict[str, dict[str, float | int]], list[str]]:
        """Index lag per kind, and the kinds over the `index_lag_max_seconds` bound."""
        if self.syncer is None:
            return {}, []
        bound = self.settings.index_lag_max_seconds
        lags = {kind: self.syncer.lag(kind) for kind in KINDS}
        over = [k for k, lag in lags.items() if lag.records and lag.seconds > bound]
        return {k: lag.as_dict() for k, lag in lags.items()}, over

    def close(self) -> None:
        if self.syncer is not None:
            self.syncer.close()
        if self.owns_engine and self.engine is not None:
            self.engine.close()
