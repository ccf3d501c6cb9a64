"""Cross-language cosine calibration (techmatch.matcher.langshift): offsets only across
languages, estimated from parallel vectors, a record's dense score independent of the other
records, and a corpus of the query's own language ranked exactly as without it."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import FakeEncoder, FakeIndex

from techmatch.errors import ConfigError
from techmatch.indexers.base import to_document
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.langshift import (
    LanguageShift,
    cross_offsets,
    default_shift,
    estimate,
    shift_path,
    with_other_languages,
)
from techmatch.matcher.retrieve import Retriever
from techmatch.models.records import Achievement, Need
from techmatch.models.results import Filters

DIM = 64


def _shift(scale: float = 1.0) -> LanguageShift:
    rng = np.random.default_rng(7)
    half = scale * rng.standard_normal(DIM) / np.sqrt(DIM)
    return LanguageShift(encoder=FakeEncoder.id, shifts={"zh": half.tolist(),
                                                          "en": (-half).tolist()})


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def test_offsets_only_across_known_languages() -> None:
    shift = _shift()
    q = np.random.default_rng(1).standard_normal(DIM)
    diff = np.asarray(shift.shifts["zh"]) - np.asarray(shift.shifts["en"])
    out = shift.offsets(q, "zh", ["zh", "en", None, "other", "en"])
    assert out.tolist() == pytest.approx([0.0, q @ diff, 0.0, 0.0, q @ diff])
    assert shift.offsets(q, "en", ["zh"]).tolist() == pytest.approx([-(q @ diff)])
    assert shift.offsets(q, None, ["en", "zh"]).tolist() == [0.0, 0.0]
    # an achievement's language is the one it is filed under, a need's its text's
    records = [Achievement(id="A1", title="锂电池热失控预警系统"),
               Achievement(id="A2", title="Thermal runaway early warning", language="en"),
               Achievement(id="A3", title="Battery pack sensing, filed as Chinese"),
               Achievement(id="A4", title="Other", language="other"),
               Need(id="N1", title="Early warning of thermal runaway in battery packs")]
    assert cross_offsets(shift, q, "电池热失控", records).tolist() == \
        pytest.approx([0.0, q @ diff, 0.0, 0.0, q @ diff])
    assert cross_offsets(None, q, "电池热失控", records).tolist() == [0.0] * 5


def test_estimate_is_half_the_mean_parallel_difference() -> None:
    rng = np.random.default_rng(3)
    other = rng.standard_normal((5, 4))
    direction = np.array([0.4, -0.2, 0.0, 0.1])
    native = other + direction + rng.standard_normal((5, 4)) * 1e-3
    shift = estimate(native, other, native_language="zh", other_language="en", encoder="enc")
    assert np.asarray(shift.shifts["zh"]) == pytest.approx(direction / 2, abs=1e-3)
    assert np.asarray(shift.shifts["en"]) == pytest.approx(-direction / 2, abs=1e-3)
    assert shift.fits("enc", 4) and not shift.fits("enc", 5) and not shift.fits("other", 4)
    with pytest.raises(ConfigError):
        estimate(native, other[:3], native_language="zh", other_language="en", encoder="enc")


def test_shipped_shift_is_for_the_default_encoder() -> None:
    shift = LanguageShift.model_validate_json(shift_path().read_text(encoding="utf-8"))
    assert shift.encoder == "e5-small-q4@torch" and set(shift.shifts) == {"zh", "en"}
    assert np.asarray(shift.shifts["zh"]) == pytest.approx(-np.asarray(shift.shifts["en"]))
    assert default_shift(shift.encoder, len(shift.shifts["zh"])) is not None
    assert default_shift(FakeEncoder.id, DIM) is None  # never applied to another encoder


def _records(with_english: bool) -> list[Achievement]:
    out = [Achievement(id="A1", title="锂电池热失控早期预警", abstract="电池包温度与气体传感"),
           Achievement(id="A2", title="动力电池管理系统", abstract="电压均衡与故障诊断"),
           Achievement(id="A3", title="水稻育种", abstract="杂交水稻品种选育")]
    if with_english:
        out += [Achievement(id="E1", title="Thermal runaway early warning for battery packs",
                            abstract="gas and temperature sensing", language="en"),
                Achievement(id="E2", title="Glass bottle recycling", abstract="recycling line",
                            language="en")]
    return out


def _retriever(records: list[Achievement], tokenizer: Tokenizer,
               shift: LanguageShift | None) -> Retriever:
    enc = FakeEncoder(DIM)
    index = FakeIndex("achievement", [to_document(r, tokenizer) for r in records], enc)
    retriever = Retriever({"achievement": index}, tokenizer=tokenizer, encoder=enc)
    retriever.language_shift = shift
    return retriever


def test_chinese_query_over_chinese_records_ranks_exactly_as_without_shift(
        tokenizer: Tokenizer) -> None:
    query = "电池热失控预警"
    runs = []
    for shift in (None, _shift(5.0)):
        ranking = _retriever(_records(False), tokenizer, shift).search(
            query, kind="achievement", mode="hybrid", k=3)
        runs.append([(h.id, h.score, h.dense.score, h.lexical.score) for h in ranking.hits])
    assert runs[0] == runs[1]


def test_corpus_of_one_language_is_probed_once_not_searched_per_query(
        tokenizer: Tokenizer) -> None:
    retriever = _retriever(_records(False), tokenizer, _shift(5.0))
    index = retriever.index("achievement")
    calls: list[object] = []
    search = index.search_dense_batch

    def counting(vectors: np.ndarray, *, k: int, filters: Filters | None = None) -> list:
        calls.append(filters)
        return search(vectors, k=k, filters=filters)

    index.search_dense_batch = counting  # type: ignore[method-assign]
    for text in ("电池热失控预警", "水稻育种", "动力电池"):
        retriever.search(text, kind="achievement", mode="dense", k=3)
    english = [f for f in calls if f is not None and f.language == ["en"]]
    assert len(english) == 1 and len(calls) == 4  # one probe, then native searches only


def test_other_language_records_get_their_own_shifted_cosine(tokenizer: Tokenizer) -> None:
    query = "电池热失控预警"
    shift = _shift(5.0)
    records = _records(True)
    retriever = _retriever(records, tokenizer, shift)
    index = retriever.index("achievement")
    q = retriever.encoder.encode_queries([query])
    off = shift.offset(q[0], "zh", "en")
    assert off != 0.0
    plain = index.search_dense(q[0], k=10)
    merged = with_other_languages(index, shift, [query], q, [plain], 10, None)[0]
    raw = dict(zip(plain.ids, plain.scores.tolist(), strict=True))
    got = dict(zip(merged.ids, merged.scores.tolist(), strict=True))
    for rid in ("A1", "A2", "A3"):
        assert got[rid] == pytest.approx(raw[rid])
    for rid in ("E1", "E2"):
        assert got[rid] == pytest.approx(max(raw[rid], raw[rid] + off), abs=1e-6)
    assert merged.ids == sorted(got, key=lambda r: (-got[r], r))
    # a record's score does not depend on the other records: drop E2 and A3, E1 keeps it
    fewer = _retriever([r for r in records if r.id not in ("E2", "A3")], tokenizer, shift)
    idx2 = fewer.index("achievement")
    again = with_other_languages(idx2, shift, [query], q, [idx2.search_dense(q[0], k=10)],
                                 10, None)[0]
    assert dict(zip(again.ids, again.scores.tolist(), strict=True))["E1"] == \
        pytest.approx(got["E1"])
    # the user's language filter is respected: no English records are searched
    only_zh = Filters(language=["zh"])
    kept = with_other_languages(index, shift, [query], q,
                                [index.search_dense(q[0], k=10, filters=only_zh)], 10,
                                only_zh)[0]
    assert set(kept.ids) == {"A1", "A2", "A3"}


def test_parallel_keywords_keep_translatable_keywords_in_query_order() -> None:
    from techmatch.eval.language_shift import parallel_keywords

    pairs = parallel_keywords({"q2": "锂电池、电极", "q1": "电极、qqq未知词"})
    assert pairs[0] == ("电极", "electrode")  # q1 first; the unknown keyword left out
    assert pairs[1][0] == "锂电池、电极" and pairs[1][1].endswith(", electrode")
