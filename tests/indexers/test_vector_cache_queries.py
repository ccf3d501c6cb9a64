"""Cached query vectors are keyed by the encoder's query precision."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from techmatch.indexers.vector_cache import CachedEncoder


class _Variant:
    """An encoder whose query vectors depend on its precision; counts its calls."""

    id = "fake-variant"
    dim = 4

    def __init__(self) -> None:
        self.query_variant = "fp32"
        self.calls = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        value = 1.0 if self.query_variant == "fp32" else 2.0
        return np.full((len(texts), self.dim), value, dtype=np.float32)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_queries(texts)


def test_each_precision_has_its_own_cached_query_vectors(tmp_path: Path) -> None:
    inner = _Variant()
    cached = CachedEncoder(inner, tmp_path)  # type: ignore[arg-type]
    assert cached.encode_queries_cached(["需求"])[0, 0] == 1.0
    assert cached.encode_queries_cached(["需求"])[0, 0] == 1.0 and inner.calls == 1
    inner.query_variant = "bf16"
    assert cached.encode_queries_cached(["需求"])[0, 0] == 2.0 and inner.calls == 2
    assert cached.encode_queries_cached(["需求"])[0, 0] == 2.0 and inner.calls == 2
    inner.query_variant = "fp32"
    again = CachedEncoder(inner, tmp_path)  # type: ignore[arg-type]  # another process
    assert again.encode_queries_cached(["需求"])[0, 0] == 1.0 and inner.calls == 2


def test_e5_reports_the_precision_in_effect() -> None:
    from techmatch.indexers.e5q4 import bf16_supported
    from techmatch.indexers.encoders import E5SmallTorchEncoder

    enc = E5SmallTorchEncoder(query_precision="bf16")
    assert enc.query_variant == ("bf16" if bf16_supported() else "fp32")
    assert E5SmallTorchEncoder(query_precision="fp32").query_variant == "fp32"
