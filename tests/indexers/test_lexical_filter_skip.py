"""Embedded lexical search: a facet filter no document can pass answers empty without a search,
and filters some document passes search exactly as before."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.indexers.embedded.lexical import LexicalSearcher
from techmatch.indexers.factory import open_index, sync_index
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.results import Filters
from techmatch.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import FakeEncoder, contract_records  # noqa: E402

KIND = "achievement"
QUERY = "锂电池 正极材料 产线 清洗"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("lexskip")
    settings = Settings(home=root / "home", threads=1, cache_dir=root / "cache")
    store = Store(settings.home / "store.sqlite")
    store.upsert(contract_records())
    tokenizer = Tokenizer()
    sync_index(settings, KIND, store, encoder=FakeEncoder(), tokenizer=tokenizer)
    found = open_index(settings, KIND, encoder=FakeEncoder(), tokenizer=tokenizer)
    return found, tokenizer.tokens(QUERY)


def _counting(monkeypatch: pytest.MonkeyPatch, index) -> list[int]:  # type: ignore[no-untyped-def]
    searcher: LexicalSearcher = index._lexical
    calls: list[int] = []
    inner = searcher.searcher

    class Counting:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(inner, name)

        def search(self, *args, **kw):  # type: ignore[no-untyped-def]
            calls.append(1)
            return inner.search(*args, **kw)

    monkeypatch.setattr(searcher, "searcher", Counting())
    return calls


def test_a_filter_no_document_passes_skips_the_search(index, monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:  # type: ignore[no-untyped-def]
    idx, tokens = index
    calls = _counting(monkeypatch, idx)
    for flt in (Filters(language=["en"]), Filters(city=["火星"]),
                Filters(city=["苏州"], province=["不存在"])):
        found = idx.search_lexical(tokens, k=12, filters=flt)
        assert found.ids == [] and found.scores.size == 0
    assert calls == []


def test_filters_some_document_passes_search_as_before(index, monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:  # type: ignore[no-untyped-def]
    idx, tokens = index
    everything = idx.search_lexical(tokens, k=12)
    assert len(everything.ids) == 12
    calls = _counting(monkeypatch, idx)
    # one allowed value no document holds does not empty a filter that others pass
    found = idx.search_lexical(tokens, k=12, filters=Filters(city=["苏州", "火星"]))
    assert calls == [1]
    assert sorted(found.ids) == [f"su-{i:02d}" for i in range(8)]
    scores = dict(zip(everything.ids, everything.scores.tolist(), strict=True))
    assert found.scores.tolist() == [scores[i] for i in found.ids]  # filters never rescore
    nanjing = idx.search_lexical(tokens, k=12, filters=Filters(city=["南京"]))
    assert nanjing.ids == ["gx-00"]
