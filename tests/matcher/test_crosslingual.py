"""Query translation (CC-CEDICT) for the lexical side and its merge with the native list."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEncoder, FakeIndex

from techmatch.indexers.base import Candidates, Index, to_document
from techmatch.indexers.embedded.lexical import LexicalSearcher, LexicalWriter
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.crosslingual import (
    SCALE,
    Translator,
    attainable,
    cross_filters,
    default_dictionary,
    language,
    merge_by_score,
    parse_cedict,
    query_scale,
)
from techmatch.matcher.retrieve import Retriever
from techmatch.models.records import Achievement
from techmatch.models.results import Filters

LINES = [
    "# comment",
    "泡沫鎳 泡沫镍 [pao4 mo4 nie4] /nickel foam/",
    "電極 电极 [dian4 ji2] /electrode/",
    "隔膜 隔膜 [ge2 mo2] /diaphragm (anatomy)/separator/",
    "隔板 隔板 [ge2 ban3] /separator/partition/",
    "張 张 [zhang1] /surname Zhang/to open/",
    "鎳 镍 [nie4] /nickel (chemistry)/",
]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def test_parse_cedict_both_directions() -> None:
    counts = {"隔板": 10, "隔膜": 5}
    d = parse_cedict(LINES, freq=lambda w: counts.get(w, 0))
    assert d.en_zh["nickel foam"] == ("泡沫镍",)
    assert "nickel" not in d.en_zh  # single-character headwords are too ambiguous
    # first senses first, then word frequency: 隔板 has "separator" as its first sense
    assert d.en_zh["separator"] == ("隔板", "隔膜")
    assert d.en_zh["diaphragm"] == ("隔膜",)  # "(anatomy)" removed
    assert d.zh_en["电极"] == ("electrode",)
    assert d.to_chinese("a nickel foam electrode") == ["泡沫镍", "电极"]
    assert d.to_chinese("electrodes") == ["电极"]  # plural
    assert d.to_english(["泡沫镍", "未知"]) == ["nickel", "foam"]


def test_language() -> None:
    assert language("Predictive maintenance for wafer etching") == "en"
    assert language("修正Rodrigues参数模型") == "zh"
    assert language("1234 ...") is None


def test_merge_by_score_lifts_the_translated_list_by_rank_keeps_best_breaks_ties() -> None:
    native = Candidates(["a", "b"], np.array([4.0, 1.0], dtype=np.float32))
    cross = Candidates(["c", "b", "d", "e"], np.array([2.0, 1.5, 0.6, 0.3], dtype=np.float32))
    # translated r-th hit gets the native r-th score (c: 2 -> 4; past the native end, the
    # ratio: d 0.4) unless its own score is higher (b 1.5 > 1, d 0.6 > 0.4)
    merged = merge_by_score(native, cross, 4)
    assert merged.ids == ["a", "c", "b", "d"]
    assert merged.scores.tolist() == pytest.approx([4.0, 4.0, 1.5, 0.6])
    assert merge_by_score(native, Candidates([], np.zeros(0)), 3) is native
    alone = merge_by_score(Candidates([], np.zeros(0)), cross, 2)  # no native list: raw
    assert alone.ids == ["c", "b"] and alone.scores.tolist() == [2.0, 1.5]


class _Frequencies(Index):
    """Only what the scale reads: document frequencies and the live count."""

    kind = "achievement"
    generation = "g"
    applied_seq = 0

    def __init__(self, df: dict[str, int] | None, n: int) -> None:
        self._df, self._n = df, n

    def count(self) -> int:
        return self._n

    def doc_freqs(self, tokens):  # type: ignore[no-untyped-def]
        if self._df is None:
            return None
        return np.array([self._df.get(t, 0) for t in dict.fromkeys(tokens)])

    def has(self, rid: str) -> bool:
        raise NotImplementedError

    def search_lexical(self, tokens, *, k, filters=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def search_dense(self, vector, *, k, filters=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def vectors(self, ids):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def _idf(df: int, n: int) -> float:
    return float(np.log1p((n - df + 0.5) / (df + 0.5)))


def test_attainable_sums_idf_of_terms_some_record_holds() -> None:
    index = _Frequencies({"a": 1, "b": 3, "c": 0}, 4)
    # duplicates count once; c and the unknown z: no record holds them, nothing to attain
    assert attainable(index, ["a", "b", "a", "c", "z"]) == pytest.approx(_idf(1, 4) + _idf(3, 4))
    assert attainable(index, ["z"]) == 0.0
    assert attainable(_Frequencies(None, 4), ["a"]) is None


def test_query_scale_is_the_ratio_of_attainable_maxima() -> None:
    index = _Frequencies({"n1": 1, "n2": 2, "t1": 1, "t2": 5, "t3": 5}, 10)
    expected = SCALE * (_idf(1, 10) + _idf(2, 10)) / (_idf(1, 10) + 2 * _idf(5, 10))
    assert query_scale(index, ["n1", "n2", "gone"], ["t1", "t2", "t3"]) == pytest.approx(expected)
    assert query_scale(index, [], ["t1"]) == 0.0  # no native words: the translation's own BM25
    assert query_scale(index, ["n1"], ["gone"]) is None
    assert query_scale(_Frequencies(None, 10), ["n1"], ["t1"]) is None


def test_merge_with_a_scale_scores_each_translated_hit_by_itself() -> None:
    native = Candidates(["a", "b"], np.array([4.0, 1.0], dtype=np.float32))
    cross = Candidates(["c", "b", "d"], np.array([2.0, 1.5, 0.6], dtype=np.float32))
    merged = merge_by_score(native, cross, 4, scale=1.5)  # c 3, b 2.25, d 0.9
    assert merged.ids == ["a", "c", "b", "d"]
    assert merged.scores.tolist() == pytest.approx([4.0, 3.0, 2.25, 0.9])
    # below 1 the translation keeps its own BM25; a hit's score never depends on the others
    low = merge_by_score(native, cross, 4, scale=0.1)
    assert low.ids == ["a", "c", "b", "d"]
    assert low.scores.tolist() == pytest.approx([4.0, 2.0, 1.5, 0.6])
    alone = merge_by_score(native, Candidates(["d"], np.array([0.6], dtype=np.float32)), 4,
                           scale=1.5)
    assert dict(zip(alone.ids, alone.scores.tolist(), strict=True))["d"] == \
        pytest.approx(dict(zip(merged.ids, merged.scores.tolist(), strict=True))["d"])


def test_embedded_lexical_document_frequencies(tmp_path: Path, tokenizer: Tokenizer) -> None:
    records = [Achievement(id="A1", title="glass furnace", abstract="glass"),
               Achievement(id="A2", title="glass bottle", abstract="recycling"),
               Achievement(id="A3", title="rice", abstract="breeding")]
    writer = LexicalWriter(tmp_path, None, threads=1)
    writer.add([to_document(r, tokenizer) for r in records], np.arange(3, dtype=np.int64))
    writer.close()
    searcher = LexicalSearcher(tmp_path)
    assert searcher.doc_freqs(["glass", "rice", "glass", "wheat"]).tolist() == [2, 1, 0]


def test_cross_filters() -> None:
    assert cross_filters(None, "zh") == Filters(language=["zh"])
    assert cross_filters(Filters(city=["苏州"]), "en") == Filters(city=["苏州"],
                                                                  language=["en"])
    assert cross_filters(Filters(language=["en"]), "zh") is None  # the user wants English


def test_packaged_dictionary_translates_technical_words(tokenizer: Tokenizer) -> None:
    t = Translator(tokenizer.tokens, default_dictionary())
    lang, tokens = t.translate("waste heat recovery from glass furnace flue gas", [])
    assert lang == "zh" and {"玻璃", "热量"} <= set(tokens)
    lang, tokens = t.translate("锂电池热失控预警", tokenizer.tokens("锂电池热失控预警"))
    assert lang == "en" and {"lithium", "battery", "warning"} <= set(tokens)


def test_english_query_finds_chinese_record_lexically(tokenizer: Tokenizer) -> None:
    records = [Achievement(id="A1", title="浮法玻璃熔窑烟气余热回收发电",
                           abstract="玻璃窑炉余热锅炉"),
               Achievement(id="A2", title="Glass bottle recycling line", abstract="recycling",
                           language="en"),
               Achievement(id="A3", title="水稻育种", abstract="杂交水稻品种选育")]
    enc = FakeEncoder()
    index = FakeIndex("achievement", [to_document(r, tokenizer) for r in records], enc)
    query = "glass furnace waste heat"
    on = Retriever({"achievement": index}, tokenizer=tokenizer, encoder=enc)
    off = Retriever({"achievement": index}, tokenizer=tokenizer, encoder=enc, translate=False)
    lex_on = on.search(query, kind="achievement", mode="lexical", k=3)
    lex_off = off.search(query, kind="achievement", mode="lexical", k=3)
    assert "A1" not in [h.id for h in lex_off.hits]
    assert lex_on.hits[0].id == "A1" and (lex_on.hits[0].lexical.score or 0) > 0
    # a Chinese query over Chinese records ranks as before: translation only reaches English
    zh_on = on.search("杂交水稻", kind="achievement", mode="lexical", k=3)
    zh_off = off.search("杂交水稻", kind="achievement", mode="lexical", k=3)
    assert [(h.id, h.lexical.score) for h in zh_on.hits] == \
        [(h.id, h.lexical.score) for h in zh_off.hits]


def test_packaged_dictionary_is_parsed_once_then_loaded_from_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from techmatch.matcher import crosslingual

    monkeypatch.setenv("TECHMATCH_CACHE_DIR", str(tmp_path))
    crosslingual._parse_default.cache_clear()
    try:
        parsed = crosslingual._parse_default()
        files = list(tmp_path.glob("cedict-*.pickle"))
        assert len(files) == 1
        crosslingual._parse_default.cache_clear()
        loaded = crosslingual._parse_default()
        assert loaded is not parsed
        assert loaded.en_zh == parsed.en_zh and loaded.zh_en == parsed.zh_en
        assert loaded.to_chinese("lithium battery") == parsed.to_chinese("lithium battery")
        files[0].write_bytes(b"not a pickle")  # a damaged cache is parsed again and rewritten
        crosslingual._parse_default.cache_clear()
        again = crosslingual._parse_default()
        assert again.en_zh == parsed.en_zh and again.zh_en == parsed.zh_en
        assert files[0].read_bytes().startswith(b"\x80")
    finally:
        crosslingual._parse_default.cache_clear()
