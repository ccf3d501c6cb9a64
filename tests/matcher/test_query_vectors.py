"""A stored need's query vector is computed once (then read from the vector cache, by any
engine on the same cache); free text is encoded on every search."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.indexers.vector_cache import CachedEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement, Need


class CountingEncoder(HashEncoder):
    """HashEncoder that records every query text it encodes."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries.extend(texts)
        return super().encode_queries(texts)


def _engine(home: Path, cache: Path, inner: CountingEncoder) -> Engine:
    return Engine.open(Settings(home=home, threads=1), encoder=CachedEncoder(inner, cache))


def test_stored_need_is_encoded_once_across_engines(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first_inner, second_inner = CountingEncoder(), CountingEncoder()
    first = _engine(tmp_path / "home", cache, first_inner)
    first.store.upsert([Need(id="n1", title="锂电池隔膜涂层", description="陶瓷浆料分散"),
                        Achievement(id="a1", title="陶瓷涂覆隔膜", abstract="浆料分散工艺"),
                        Achievement(id="a2", title="注塑模具冷却")])
    first.sync(("need", "achievement"))
    service = MatchService(first)
    one = service.match_need("n1", target="achievement", k=2, explain=False)
    two = service.match_need("n1", target="achievement", k=2, explain=False)
    assert len(first_inner.queries) == 1
    assert [h.id for h in one.hits] == [h.id for h in two.hits]
    assert [h.score for h in one.hits] == pytest.approx([h.score for h in two.hits])  # recency
    second = _engine(tmp_path / "home", cache, second_inner)  # another worker, same cache
    three = MatchService(second).match_need("n1", target="achievement", k=2, explain=False)
    assert second_inner.queries == []
    assert [h.score for h in three.hits] == pytest.approx([h.score for h in one.hits])
    stored = second.query_vectors([first_inner.queries[0]], stored=[True])
    np.testing.assert_array_equal(stored, HashEncoder().encode_queries(first_inner.queries))
    second.close()
    first.close()


def test_free_text_is_encoded_every_time(tmp_path: Path) -> None:
    inner = CountingEncoder()
    engine = _engine(tmp_path / "home", tmp_path / "cache", inner)
    engine.store.upsert([Achievement(id="a1", title="陶瓷涂覆隔膜")])
    engine.sync(("achievement",))
    service = MatchService(engine)
    for _ in range(2):
        service.search("隔膜涂层", kind="achievement", k=1, explain=False)
    assert inner.queries == ["隔膜涂层", "隔膜涂层"]
    mixed = engine.query_vectors(["甲", "乙"], stored=[True, False])
    np.testing.assert_array_equal(mixed, HashEncoder().encode_queries(["甲", "乙"]))
    engine.close()
