"""The service encodes a query in its encoder thread while the lexical side searches: the
dense side and the features get exactly the vectors the encoder computed, and an encoder
error reaches the caller."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement

RECORDS = [Achievement(id="a1", title="陶瓷涂覆隔膜", abstract="浆料分散工艺"),
           Achievement(id="a2", title="注塑模具冷却", abstract="随形水路"),
           Achievement(id="a3", title="隔膜涂层浆料", abstract="陶瓷颗粒分散")]


class ThreadEncoder(HashEncoder):
    """HashEncoder noting the thread of each query encoding and what the lexical side had
    searched by then; `fail` makes it raise."""

    def __init__(self, lexical_calls: list[str]) -> None:
        self.threads: list[str] = []
        self.lexical_calls = lexical_calls
        self.fail = False

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.threads.append(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("encoder broke")
        return super().encode_queries(texts)


@pytest.fixture()
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    lexical: list[str] = []
    encoder = ThreadEncoder(lexical)
    engine = Engine.open(Settings(home=tmp_path / "home", threads=1), encoder=encoder)
    engine.store.upsert(RECORDS)
    engine.sync(("achievement",))
    yield engine, encoder, lexical
    engine.close()


def test_query_is_encoded_in_the_encoder_thread_with_the_same_vectors(setup) -> None:  # type: ignore[no-untyped-def]
    engine, encoder, _ = setup
    service = MatchService(engine)
    got = service.search("隔膜涂层", kind="achievement", k=3)
    # a free-text search's query goes to the micro-batcher's thread (matcher.querybatch)
    assert encoder.threads and all(t == "techmatch-querybatch" for t in encoder.threads)
    vec = HashEncoder().encode_queries(["隔膜涂层"])
    # the same ranking as when the caller hands the vector over (no encoder thread)
    want = service._rank([service_query("隔膜涂层")], "achievement", k=3, vectors=vec)[0]
    assert [h.id for h in got.hits] == [h.id for h in want.hits]
    assert [h.score for h in got.hits] == pytest.approx([h.score for h in want.hits])  # recency
    assert [h.dense.score for h in got.hits] == [h.dense.score for h in want.hits]
    dense = [h for h in got.hits if h.dense.rank]  # their cosine to the encoder's vector
    assert dense and [h.dense.score for h in dense] == pytest.approx(
        (engine.index("achievement").vectors([h.id for h in dense]) @ vec[0]).tolist())


def test_dense_side_waits_for_vectors_the_lexical_side_does_not(setup) -> None:  # type: ignore[no-untyped-def]
    engine, _, _ = setup
    order: list[str] = []
    retriever = engine.retriever()
    index = retriever.index("achievement")
    original = index.search_lexical

    def lexical(*args, **kwargs):  # type: ignore[no-untyped-def]
        order.append("lexical")
        return original(*args, **kwargs)

    def vectors() -> np.ndarray:
        order.append("vectors")
        return HashEncoder().encode_queries(["隔膜涂层"])

    index.search_lexical = lexical  # type: ignore[method-assign]
    ranking = retriever.search_many(["隔膜涂层"], kind="achievement", k=3, vectors=vectors)[0]
    assert order[0] == "lexical" and order[-1] == "vectors" and order.count("vectors") == 1
    assert any(h.dense.rank for h in ranking.hits) and any(h.lexical.rank for h in ranking.hits)


def test_an_encoder_error_reaches_the_caller(setup) -> None:  # type: ignore[no-untyped-def]
    engine, encoder, _ = setup
    encoder.fail = True
    with pytest.raises(RuntimeError, match="encoder broke"):
        MatchService(engine).search("隔膜涂层", kind="achievement", k=3)


def service_query(text: str):  # type: ignore[no-untyped-def]
    from techmatch.matcher.features import Query

    return Query.of(text)
