"""Content-addressed vector cache: never re-encode unchanged text (SQLite, one file per encoder)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from techmatch.config import Settings
from techmatch.indexers.encoders import Encoder, build_encoder
from techmatch.store.vectors import VectorFile

QUERY_PREFIX = "q:"  # query vectors share the file; passage keys are bare hex digests


def query_prefix(encoder: object) -> str:
    """Key prefix of an encoder's query vectors: `q:` for full precision, `q<variant>:` when
    the encoder runs queries in a lower precision (vectors differ slightly, and a confidence
    near a threshold must not depend on which precision filled the cache first)."""
    return variant_prefix(getattr(encoder, "query_variant", "fp32"))


def variant_prefix(variant: str) -> str:
    return QUERY_PREFIX if variant == "fp32" else f"q{variant}:"


def encode_apart(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    """Query vectors of `texts`, each row exactly what `encoder.encode_queries([text])` gives
    (the encoder's `encode_queries_apart` when it has one: several texts at less cost)."""
    apart = getattr(encoder, "encode_queries_apart", None)
    if apart is not None:
        return np.asarray(apart(texts))
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    for i, text in enumerate(texts):
        out[i] = encoder.encode_queries([text])[0]
    return out


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class CachedEncoder:
    """Wraps an Encoder; passage vectors are looked up by content hash before encoding."""

    def __init__(self, encoder: Encoder, cache_dir: Path, *, chunk: int = 128) -> None:
        self.inner = encoder
        self.chunk = chunk
        self.id = encoder.id
        self.dim = encoder.dim
        cache_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.\-]+", "_", encoder.id)
        self._path = cache_dir / f"vectors-{safe}.sqlite"
        self._file = VectorFile(self._path)
        self._inherited: list[VectorFile] = []

    @property
    def progress(self):  # type: ignore[no-untyped-def]
        return getattr(self.inner, "progress", None)

    @progress.setter
    def progress(self, fn) -> None:  # type: ignore[no-untyped-def]
        if hasattr(self.inner, "progress"):
            self.inner.progress = fn

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_queries_apart(self, texts: Sequence[str]) -> np.ndarray:
        """Each row exactly `encode_queries([text])` (free text: never cached): the inner
        encoder's packed path when it has one, else one call per text."""
        return encode_apart(self.inner, texts)

    def encode_queries_cached(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) query vectors looked up by content hash first, and stored when encoded: for
        query texts that recur (a stored need matched again and again, by any process), not
        for free text, whose vectors would only fill the file."""
        prefix = query_prefix(self.inner)
        keys = [prefix + text_key(t) for t in texts]
        found = self._lookup(set(keys))
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True)
                          if k not in found}.items())
        if missing:
            vecs = self.inner.encode_queries([t for _, t in missing])
            self._file.put_many([(k, vecs[i].tobytes()) for i, (k, _) in enumerate(missing)])
            found.update({k: vecs[i] for i, (k, _) in enumerate(missing)})
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32; only texts never seen by this encoder are encoded."""
        keys = [text_key(t) for t in texts]
        found = self._lookup(set(keys))
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True)
                          if k not in found}.items())
        # Encode and commit in chunks: a killed build keeps every chunk it finished.
        for start in range(0, len(missing), self.chunk):
            part = missing[start:start + self.chunk]
            vecs = self.inner.encode_passages([t for _, t in part])
            self._file.put_many([(k, vecs[i].tobytes()) for i, (k, _) in enumerate(part)])
            found.update({k: vecs[i] for i, (k, _) in enumerate(part)})
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out

    def _lookup(self, keys: set[str]) -> dict[str, np.ndarray]:
        return {k: np.frombuffer(blob, dtype=np.float32)
                for k, blob in self._file.get_many(keys).items()}

    def after_fork(self) -> None:
        """In a forked worker: a connection of its own to the cache file (the inherited one
        is the parent's: kept, never used nor closed here)."""
        self._inherited.append(self._file)
        self._file = VectorFile(self._path)

    def close(self) -> None:
        self._file.close()


def settings_encoder(settings: Settings) -> CachedEncoder:
    """The configured encoder (`settings.encoder`, threads, batch, query precision) behind the
    vector cache of `settings.vector_cache_dir`: what an engine, an evaluation or a fit encodes
    with."""
    raw = build_encoder(settings.encoder, threads=settings.threads, batch=settings.encode_batch,
                        query_precision=settings.query_precision)
    return CachedEncoder(raw, settings.vector_cache_dir)
