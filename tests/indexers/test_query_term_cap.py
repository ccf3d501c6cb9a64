"""A need with more distinct tokens than Elasticsearch's max clause count (8,192 on the test
node: 512 MB heap, 4 search threads) is matched on both backends, with the same results.

Both backends keep the first `MAX_QUERY_TERMS` distinct tokens of a lexical query (first
occurrence order): a token past the cap finds nothing on either of them, and a need under the
cap is searched whole, as before. The Elasticsearch side runs on the session's real node.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from es_node import drop_prefix, unique_prefix  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.indexers import elastic  # noqa: E402
from techmatch.indexers.base import MAX_QUERY_TERMS, query_terms  # noqa: E402
from techmatch.indexers.encoders import HashEncoder  # noqa: E402
from techmatch.matcher.engine import Engine  # noqa: E402
from techmatch.matcher.service import MatchService  # noqa: E402
from techmatch.models.records import Achievement, Need  # noqa: E402

# 9,900 distinct CJK characters, one token each: past the node's 8,192 clauses, and within
# the 20,000 characters a need's description may hold
CHARS = [chr(0x4E00 + i) for i in range(9_900)]
HUGE = Need(id="n-huge", title="锂电池热失控预警", description=" ".join(CHARS), city="苏州")
SMALL = Need(id="n-small", title="锂电池热失控预警", description="动力电池热失控早期预警",
             city="苏州")


def _records() -> list[Achievement | Need]:
    late = CHARS[-1]  # far past the cap: only a search of every token finds it
    return [
        HUGE, SMALL,
        Achievement(id="a-bat", title="动力电池热失控早期预警方法",
                    abstract="基于气体传感器的锂电池热失控预警", city="苏州"),
        Achievement(id="a-mid", title="电池管理系统", abstract=f"储能 {CHARS[300]}", city="苏州"),
        Achievement(id="a-late", title="印染废水处理", abstract=f"膜过滤 {late}", city="杭州"),
    ]


def _engine(settings: Settings) -> Engine:
    engine = Engine.open(settings, encoder=HashEncoder())
    engine.store.upsert(_records())
    engine.sync(("achievement", "need"))
    return engine


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, es_url: str
            ) -> Iterator[tuple[Engine, Engine]]:
    embedded = _engine(Settings(home=tmp_path_factory.mktemp("cap-emb") / "home", threads=1))
    settings = Settings(home=tmp_path_factory.mktemp("cap-es") / "home", threads=1,
                        backend="elasticsearch", es_url=es_url, es_index_prefix=unique_prefix())
    es = _engine(settings)
    yield embedded, es
    embedded.close()
    es.close()
    client = elastic.connect(settings)
    drop_prefix(client, settings.es_index_prefix)
    client.close()


def test_the_huge_need_is_past_the_node_limit_and_the_cap() -> None:
    from techmatch.indexers.tokenize import Tokenizer

    distinct = set(Tokenizer().tokens(HUGE.text()))
    assert len(distinct) > 8_192 > MAX_QUERY_TERMS


def test_query_terms_keep_the_first_distinct_tokens() -> None:
    tokens = ["b", "a", "b", " ", "", *[f"t{i}" for i in range(MAX_QUERY_TERMS + 5)]]
    kept = query_terms(tokens)
    assert kept[:3] == ["b", "a", "t0"] and len(kept) == MAX_QUERY_TERMS
    assert kept[-1] == f"t{MAX_QUERY_TERMS - 3}"
    assert query_terms(["x", "x", "y"]) == ["x", "y"]


def test_huge_need_matches_on_both_backends_alike(engines: tuple[Engine, Engine]) -> None:
    """Before: BackendError on Elasticsearch (too_many_clauses), an answer on embedded."""
    embedded, es = engines
    answers = [MatchService(engine).match_need("n-huge", target="achievement", k=10,
                                               explain=False).hits for engine in (embedded, es)]
    assert [h.id for h in answers[0]] == [h.id for h in answers[1]]
    assert np.allclose([h.score for h in answers[0]], [h.score for h in answers[1]], rtol=1e-5)
    assert answers[0] and answers[0][0].id == "a-bat"


def test_lexical_search_of_the_huge_need_is_capped_alike(engines: tuple[Engine, Engine]
                                                         ) -> None:
    """Both backends answer the huge token list as its first MAX_QUERY_TERMS distinct tokens:
    a document holding only a token past the cap is not found, one before it is."""
    embedded, es = engines
    tokens = embedded.tokenizer.tokens(HUGE.text())
    found = []
    for engine in (embedded, es):
        index = engine.index("achievement")
        whole = index.search_lexical(tokens, k=10)
        capped = index.search_lexical(query_terms(tokens), k=10)
        assert whole.ids == capped.ids and list(whole.scores) == list(capped.scores)
        found.append(whole)
    # the same ids; BM25 as tantivy and Lucene compute it agrees to float32 rounding
    assert found[0].ids == found[1].ids
    assert np.allclose(found[0].scores, found[1].scores, rtol=1e-5)
    assert "a-mid" in found[0].ids and "a-late" not in found[0].ids


def test_small_need_is_searched_whole(engines: tuple[Engine, Engine]) -> None:
    embedded, es = engines
    tokens = embedded.tokenizer.tokens(SMALL.text())
    assert len(query_terms(tokens)) == len(set(tokens))
    for engine in (embedded, es):
        ranking = MatchService(engine).match_need("n-small", target="achievement", k=10,
                                                  explain=False)
        assert ranking.hits[0].id == "a-bat"
