"""The engine: settings, store, tokenizer, encoder and indexes built once and shared.

CLI main and the FastAPI lifespan build one `Engine`; everything else receives it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from techmatch.config import TUNED_FILE, Settings
from techmatch.errors import IndexMissingError
from techmatch.indexers.base import Index, SyncReport
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.tokenize import Tokenizer
from techmatch.indexers.vector_cache import CachedEncoder, settings_encoder
from techmatch.matcher.feedback import apply_pending_feedback
from techmatch.matcher.retrieve import Retriever
from techmatch.models.records import KINDS, Record
from techmatch.store import Store
from techmatch.store.factory import STORE_FILE, open_store

__all__ = ["STORE_FILE", "Engine"]

# Connections a forked worker inherited (see `Engine.after_fork`): kept referenced so they are
# never closed in the worker.
_INHERITED: list[object] = []


@dataclass
class Engine:
    """Heavy, long-lived objects of one process."""

    settings: Settings
    store: Store
    tokenizer: Tokenizer
    encoder: Encoder
    indexes: dict[str, Index] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stamps: dict[str, object] = field(default_factory=dict, repr=False)
    _missing: dict[str, object] = field(default_factory=dict, repr=False)
    _retriever: tuple[object, Retriever] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, encoder: Encoder | None = None) -> Engine:
        """Open the store and build tokenizer and encoder (indexes are opened lazily)."""
        settings.home.mkdir(parents=True, exist_ok=True)
        store = open_store(settings)
        apply_pending_feedback(store)  # a home from before dockings: its judgements, once
        tokenizer = Tokenizer(user_dict=settings.user_dict, stopwords=settings.stopwords)
        if encoder is None:
            encoder = settings_encoder(settings)  # type: ignore[assignment]
        return cls(settings=settings, store=store, tokenizer=tokenizer,
                   encoder=encoder)  # type: ignore[arg-type]

    def index(self, kind: str) -> Index:
        """The open index of `kind`, reopened when a newer generation was published.

        Whether one was published is a `stat` of the generation pointer (`generation_stamp`);
        the pointer is read only when that changed. The new generation is opened outside the
        lock, so requests keep answering from the generation they hold while it loads; only
        the swap is serialised.
        """
        from techmatch.indexers.factory import current_generation, generation_stamp, open_index

        stamp = generation_stamp(self.settings, kind)
        idx = self.indexes.get(kind)
        if idx is not None:
            if self._stamps.get(kind) == stamp:
                return idx
            if current_generation(self.settings, kind) == idx.generation:
                self._stamps[kind] = stamp
                return idx
        fresh = open_index(self.settings, kind, encoder=self.encoder, tokenizer=self.tokenizer,
                           store=self.store)  # Elasticsearch: refused when another home's
        with self._lock:
            current = self.indexes.get(kind)
            if current is not None and current.generation == fresh.generation:
                fresh = current
            self.indexes[kind] = fresh
            self._stamps[kind] = stamp
        return fresh

    def available_kinds(self) -> list[str]:
        """Kinds whose index can be opened (a kind found missing is looked at again only when
        its generation pointer changes)."""
        return list(self._open_indexes())

    def _open_indexes(self) -> dict[str, Index]:
        """kind → its current open index, for every kind that has one (one generation `stat`
        per kind)."""
        from techmatch.indexers.factory import generation_stamp

        out: dict[str, Index] = {}
        for kind in KINDS:
            if kind not in self.indexes and kind in self._missing:
                if self._missing[kind] == generation_stamp(self.settings, kind):
                    continue
            try:
                out[kind] = self.index(kind)
            except IndexMissingError:
                self._missing[kind] = generation_stamp(self.settings, kind)
                continue
            self._missing.pop(kind, None)
        return out

    def record_vectors(self, kind: str, records: Sequence[Record]) -> np.ndarray:
        """(len(records), dim) float32 vectors from the kind's index; records it does not hold
        (not synced yet, or no index built) are encoded from their text."""
        from techmatch.indexers.ingest.normalize import normalize

        try:
            vecs = self.index(kind).vectors([r.id for r in records]).astype(np.float32)
        except IndexMissingError:
            vecs = np.zeros((len(records), self.encoder.dim), dtype=np.float32)
        missing = np.flatnonzero(~vecs.any(axis=1)).tolist()
        if missing:
            texts = [normalize(records[i].text(), lower=False) for i in missing]
            vecs[missing] = self.encoder.encode_passages(texts)
        return vecs

    def query_vectors(self, texts: Sequence[str], *, stored: Sequence[bool]) -> np.ndarray:
        """(len(texts), dim) query vectors of normalised texts. Texts of stored records
        (`stored[i]`) go through the persistent vector cache, so a need matched again is never
        encoded again; free text is always encoded."""
        if not isinstance(self.encoder, CachedEncoder) or not any(stored):
            return self.encoder.encode_queries(texts)
        keep = [i for i, s in enumerate(stored) if s]
        rest = [i for i, s in enumerate(stored) if not s]
        out = np.empty((len(texts), self.encoder.dim), dtype=np.float32)
        out[keep] = self.encoder.encode_queries_cached([texts[i] for i in keep])
        if rest:
            out[rest] = self.encoder.encode_queries([texts[i] for i in rest])
        return out

    def retriever(self) -> Retriever:
        """A retriever over every built index with the tuned retrieval parameters, built once
        per set of index generations and `retrieval.json` version (not once per query)."""
        indexes = self._open_indexes()
        key = (tuple((kind, id(idx)) for kind, idx in indexes.items()), self._params_stamp())
        cached = self._retriever
        if cached is not None and cached[0] == key:
            return cached[1]
        retriever = Retriever(indexes, tokenizer=self.tokenizer, encoder=self.encoder,
                              params=self.settings.retrieval())
        self._retriever = (key, retriever)
        return retriever

    def _params_stamp(self) -> tuple[int, int] | None:
        try:
            st = (self.settings.home / TUNED_FILE).stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def sync(self, kinds: tuple[str, ...] = KINDS, *, full: bool = False,
             progress: Callable[[int], None] | None = None) -> list[SyncReport]:
        """Bring every index up to the store's latest change (or rebuild with `full`)."""
        from techmatch.indexers.factory import sync_index

        reports = []
        for kind in kinds:
            reports.append(sync_index(self.settings, kind, self.store, encoder=self.encoder,
                                      tokenizer=self.tokenizer, full=full, progress=progress))
        with self._lock:
            self.indexes.clear()
            self._stamps.clear()
            self._missing.clear()
            self._retriever = None
        return reports

    def after_fork(self) -> None:
        """In a forked worker process (the batch job's): its own store connection and vector
        cache file. The inherited ones are the parent's: kept referenced, never used nor
        closed here (closing an inherited SQLite connection may checkpoint the parent's WAL)."""
        _INHERITED.append(self.store)
        inherited, self.store = self.store, Store(self.store.url)
        self.store.parsed.adopt(inherited.parsed)  # parsed records stay shared copy-on-write
        reopen = getattr(self.encoder, "after_fork", None)
        if callable(reopen):
            reopen()

    def close(self) -> None:
        for idx in self.indexes.values():
            idx.close()
        self.store.close()
        close = getattr(self.encoder, "close", None)
        if callable(close):
            close()
