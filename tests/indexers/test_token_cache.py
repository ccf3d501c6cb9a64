"""Token sets read from the on-disk cache are exactly the tokenizer's: filled by index sync
(in-process and in worker processes), read by the service instead of tokenising, and never
served for another text or another tokenizer (dictionary / stopwords)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from techmatch.config import Settings
from techmatch.eval.datasets import read_corpus
from techmatch.indexers.embedded import sync as sync_module
from techmatch.indexers.factory import sync_index
from techmatch.indexers.token_cache import FILE_NAME, TokenSets, token_key
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement
from techmatch.store import Store
from techmatch.store.tokensets import TokenSetFile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import FakeEncoder  # noqa: E402

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "csl-kw-dev" / "corpus.jsonl"
KIND = "achievement"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.fixture(scope="module")
def records() -> list[Achievement]:
    docs = list(itertools.islice(read_corpus(DEV), 300))
    return [Achievement(id=d.id, title=d.title, abstract=d.text) for d in docs]


def _stored(cache_dir: Path, tokenizer: Tokenizer, texts: list[str]) -> dict[str, str]:
    file = TokenSetFile(cache_dir / FILE_NAME)
    try:
        found = file.get_many(token_key(tokenizer.fingerprint, t) for t in texts)
    finally:
        file.close()
    return found


@pytest.mark.parametrize("parallel_min", [10_000, 100])
def test_sync_fills_the_exact_token_set_of_every_indexed_text(
        tmp_path: Path, tokenizer: Tokenizer, records: list[Achievement], parallel_min: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_module, "PARALLEL_MIN", parallel_min)  # 100: worker processes
    settings = Settings(home=tmp_path / "h", threads=2, cache_dir=tmp_path / "c")
    store = Store(settings.home / "store.sqlite")
    store.upsert(records)
    report = sync_index(settings, KIND, store, encoder=FakeEncoder(), tokenizer=tokenizer)
    assert "token_sets" in report.phases
    texts = [r.text() for r in records]
    assert len(_stored(settings.vector_cache_dir, tokenizer, texts)) == len(set(texts))
    sets = TokenSets(tokenizer, settings.vector_cache_dir)
    monkeypatch.setattr(tokenizer, "tokens", _refuse)  # everything must come from the file
    found = sets.sets(texts)
    monkeypatch.undo()
    sets.close()
    assert all(found[t] == frozenset(tokenizer.tokens(t)) for t in texts)
    assert sum(len(s) for s in found.values()) > 10 * len(texts)


def _refuse(text: str) -> list[str]:
    raise AssertionError(f"tokenised {text[:20]!r} instead of reading the cache")


def test_a_changed_text_gets_its_own_set(tmp_path: Path, tokenizer: Tokenizer) -> None:
    sets = TokenSets(tokenizer, tmp_path)
    old, new = "锂电池隔膜陶瓷涂层工艺", "注塑模具随形冷却水路设计"
    assert sets.sets([old])[old] == frozenset(tokenizer.tokens(old))
    again = TokenSets(tokenizer, tmp_path)  # a new process: nothing in memory
    found = again.sets([new, old])
    assert found[new] == frozenset(tokenizer.tokens(new)) != found[old]
    assert again.count() == 2
    sets.close()
    again.close()


def test_another_dictionary_never_reuses_a_set(tmp_path: Path, tokenizer: Tokenizer) -> None:
    stop = tmp_path / "stop.txt"
    stop.write_text("隔膜\n", encoding="utf-8")
    other = Tokenizer(stopwords=stop)
    assert other.fingerprint != tokenizer.fingerprint
    text = "锂电池隔膜陶瓷涂层"
    first = TokenSets(tokenizer, tmp_path)
    assert "隔膜" in first.sets([text])[text]
    second = TokenSets(other, tmp_path)
    found = second.sets([text])[text]
    assert found == frozenset(other.tokens(text)) and "隔膜" not in found
    assert "隔膜" in TokenSets(tokenizer, tmp_path).sets([text])[text]
    first.close()
    second.close()


def test_the_service_reads_candidates_sets_and_ranks_the_same(
        tmp_path: Path, records: list[Achievement], monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine.open(Settings(home=tmp_path / "home", threads=1), encoder=FakeEncoder())
    engine.store.upsert(records)
    engine.sync((KIND,))
    query = records[7].title
    fresh = MatchService(engine).search(query, kind=KIND, k=10)  # tokenises what it misses
    service = MatchService(engine)
    monkeypatch.setattr(engine.tokenizer, "tokens", _counting(engine.tokenizer.tokens))
    served = service.search(query, kind=KIND, k=10, explain=False)
    assert _CALLS and set(_CALLS) == {query}  # only the query text was tokenised
    assert [h.id for h in served.hits] == [h.id for h in fresh.hits]
    # two calls of one unchanged service already differ by ~1e-12 (time-dependent features)
    assert np.allclose([h.score for h in served.hits], [h.score for h in fresh.hits],
                       rtol=0, atol=1e-9)
    assert len(served.hits) == 10 and served.hits[0].id == records[7].id
    explained = service.search(query, kind=KIND, k=10)
    assert fresh.hits[0].explanation and fresh.hits[0].explanation.matched_terms
    assert [h.explanation.matched_terms for h in explained.hits if h.explanation] == [
        h.explanation.matched_terms for h in fresh.hits if h.explanation]
    texts = {r.id: r.text() for r in records}
    sets = service.tokens_many([texts[h.id] for h in served.hits])
    monkeypatch.undo()
    assert all(sets[texts[h.id]] == frozenset(engine.tokenizer.tokens(texts[h.id]))
               for h in served.hits)
    engine.close()


_CALLS: list[str] = []


def _counting(tokens):  # type: ignore[no-untyped-def]
    _CALLS.clear()

    def call(text: str) -> list[str]:
        _CALLS.append(text)
        return tokens(text)
    return call
