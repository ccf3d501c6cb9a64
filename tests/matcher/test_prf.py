"""Pseudo-relevance feedback features: agreement with the query's own top hits."""

from __future__ import annotations

import numpy as np
import pytest

from techmatch.matcher.features import FEATURES, Query, build_table
from techmatch.matcher.prf import (
    centroid_similarity,
    discipline_agreement,
    prf_columns,
    term_agreement,
)
from techmatch.models.records import Achievement
from techmatch.models.results import Component, Hit, Ranking

F = frozenset


def test_discipline_agreement_weights_other_top_hits_and_centres_known():
    facets = [F({"化学"}), F({"化学"}), F({"物理"}), F()]
    scores = np.array([3.0, 1.0, 1.0, 1.0])
    got = discipline_agreement(facets, scores, k=3)
    # raw shares, leaving the candidate itself out of its own top-k:
    # 0: others 1 (化学, w1) and 2 (物理, w1) → 0.5; 1: 0 (w3) and 2 (w1) → 0.75;
    # 2: 0 and 1 → 0; 3 unknown → stays 0.
    raw = np.array([0.5, 0.75, 0.0])
    assert got[:3] == pytest.approx(raw - raw.mean())
    assert got[3] == 0.0


def test_discipline_agreement_without_any_known_discipline_is_zero():
    assert discipline_agreement([F(), F()], np.array([1.0, 0.5])).tolist() == [0.0, 0.0]


def test_term_agreement_is_weighted_jaccard_with_the_other_top_hits():
    toks = [F({"a", "b"}), F({"a", "c"}), F({"x"})]
    got = term_agreement(toks, np.array([1.0, 1.0, 2.0]), k=2)
    # 0 vs 1: |{a}|/|{a,b,c}| = 1/3 (only other top hit); 1 vs 0: 1/3; 2 vs 0,1: 0
    assert got.tolist() == pytest.approx([1 / 3, 1 / 3, 0.0])


def test_centroid_similarity_follows_the_score_weighted_top_hits():
    v = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.6, 0.8]])
    got = centroid_similarity(v, np.array([3.0, 1.0, 0.0, 0.0]), k=2)
    c = np.array([3.0, 1.0]) / np.linalg.norm([3.0, 1.0])
    assert got == pytest.approx(v @ c)
    assert got[0] > got[1]


def test_prf_columns_without_vectors_gives_zero_dense():
    cols = prf_columns([F({"化学"})], [F({"a"})], np.array([1.0]), None)
    assert cols["prf_dense"].tolist() == [0.0]
    assert set(cols) == {"prf_discipline", "prf_terms", "prf_dense"}


def _hit(rid: str, score: float) -> Hit:
    return Hit(id=rid, kind="achievement", score=score, rank=1, lexical=Component(),
               dense=Component())


def test_build_table_fills_prf_columns_in_ranking_order():
    recs = {f"a{i}": Achievement(id=f"a{i}", title=t, discipline=d)
            for i, (t, d) in enumerate([("电池", "化学"), ("电池 材料", "化学"),
                                        ("桥梁", "土木")])}
    ranking = Ranking(kind="achievement", mode="hybrid", hits=[_hit("a0", 1.0), _hit("a1", 0.8),
                                               _hit("a2", 0.5), _hit("gone", 0.4)])
    tokens = {"a0": F({"电池"}), "a1": F({"电池", "材料"}), "a2": F({"桥梁"})}
    vecs = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [1.0, 0.0]])
    table = build_table(Query.of("电池"), F({"电池"}), ranking, "achievement", recs, tokens,
                        np.array([0.9, 0.8, 0.2, 0.1]), vectors=vecs)
    assert table.ids == ["a0", "a1", "a2"]
    assert "prf_discipline" in FEATURES["achievement"]
    disc = table.column("prf_discipline")
    assert disc[0] > 0 and disc[1] > 0 and disc[2] < 0
    assert table.column("prf_terms")[2] == 0.0 and table.column("prf_terms")[0] > 0
    dense = table.column("prf_dense")
    assert dense[0] > dense[2] and dense[1] > dense[2]


def test_list_minmax_columns_span_zero_to_one_over_the_candidates():
    recs = {f"a{i}": Achievement(id=f"a{i}", title="电池") for i in range(3)}
    hits = [Hit(id=f"a{i}", kind="achievement", score=1.0 - i / 10, rank=i + 1,
                lexical=Component(score=s), dense=Component())
            for i, s in enumerate([8.0, 2.0, 0.0])]
    ranking = Ranking(kind="achievement", mode="hybrid", hits=hits)
    table = build_table(Query.of("电池"), F({"电池"}), ranking, "achievement", recs, {},
                        np.array([0.70, 0.90, 0.80]))
    assert table.column("lexical_mm").tolist() == pytest.approx([1.0, 0.25, 0.0])
    assert table.column("dense_mm").tolist() == pytest.approx([0.0, 1.0, 0.5])
    assert table.column("prf_dense").tolist() == [0.0, 0.0, 0.0]  # no vectors given


def test_prf_columns_are_skipped_when_not_wanted_and_uses_prf_reads_weights():
    from techmatch.matcher.prf import uses_prf
    from techmatch.matcher.scorer import LinearModel, default_model

    recs = {"a0": Achievement(id="a0", title="电池", discipline="化学"),
            "a1": Achievement(id="a1", title="电池", discipline="化学")}
    ranking = Ranking(kind="achievement", mode="hybrid", hits=[_hit("a0", 1.0), _hit("a1", 0.5)])
    tokens = {"a0": F({"电池"}), "a1": F({"电池"})}
    args = (Query.of("电池"), F({"电池"}), ranking, "achievement", recs, tokens,
            np.array([0.9, 0.8]))
    assert build_table(*args).column("prf_terms").tolist() == [1.0, 1.0]
    assert build_table(*args, prf=False).column("prf_terms").tolist() == [0.0, 0.0]
    assert not uses_prf(default_model("achievement"))
    assert uses_prf(LinearModel(kind="achievement", features=["dense", "prf_terms"],
                                weights=[1.0, -0.2]))


def test_term_agreement_equals_pairwise_jaccard_by_sets() -> None:
    """prf_terms against a direct computation: weighted leave-one-out mean of each
    candidate's Jaccard with the other top hits (tokens outside the top hits included)."""
    from techmatch.matcher.prf import _leave_one_out, _weights

    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(40)]
    sets = [frozenset(rng.choice(words, size=int(rng.integers(0, 12)), replace=False))
            for _ in range(14)]
    scores = np.sort(rng.random(14))[::-1]
    top = 5
    sim = np.array([[len(a & b) / len(a | b) if a | b else 0.0 for b in sets[:top]]
                    for a in sets])
    want = _leave_one_out(sim, _weights(scores), top)
    np.testing.assert_allclose(term_agreement(sets, scores, k=top), want, rtol=0, atol=1e-12)


def _term_agreement_by_matrix(token_sets, scores, k):
    """prf_terms as computed before the C counts: a 0/1 row per candidate over the top hits'
    vocabulary, the intersections as its product with the top rows (the reference)."""
    from techmatch.matcher.prf import _leave_one_out, _weights

    n, top = len(token_sets), min(k, len(token_sets))
    vocab: dict[str, int] = {}
    for toks in token_sets[:top]:
        for t in toks:
            vocab.setdefault(t, len(vocab))
    rows = np.zeros((n, max(len(vocab), 1)))
    for i, toks in enumerate(token_sets):
        for t in toks:
            if t in vocab:
                rows[i, vocab[t]] = 1.0
    inter = rows @ rows[:top].T
    sizes = np.array([len(t) for t in token_sets], dtype=np.float64)
    union = sizes[:, None] + sizes[None, :top] - inter
    sim = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return _leave_one_out(sim, _weights(scores), top)


def test_term_agreement_is_bit_for_bit_the_matrix_computation() -> None:
    """The counted intersections (techmatch.matcher._overlap) give exactly the floats of the
    0/1 matrix product, on need-sized lists (50 candidates of ~100 tokens, k 10), small and
    empty sets, equal strings that are distinct objects, and k beyond the C limit."""
    from techmatch.matcher import _overlap

    rng = np.random.default_rng(19)
    words = [f"词{i}" for i in range(400)]
    for trial in range(40):
        n = int(rng.integers(1, 60))
        sets = [frozenset("".join(list(w)) for w in rng.choice(
            words, size=int(rng.integers(0, 120)), replace=False)) for _ in range(n)]
        if trial % 5 == 0:
            sets[0] = frozenset()
        scores = np.sort(rng.random(n))[::-1]
        for k in (1, 3, 10, 70):
            got = term_agreement(sets, scores, k=k)
            assert got.tobytes() == _term_agreement_by_matrix(sets, scores, k).tobytes()
    cells = np.frombuffer(_overlap.pair_counts([F({"a", "b"}), F({"b"}), F()], 2), np.int64)
    assert cells.tolist() == [2, 1, 1, 1, 0, 0]
    with pytest.raises(ValueError, match="top"):
        _overlap.pair_counts([F()], 2)
    with pytest.raises(TypeError, match="set"):
        _overlap.pair_counts([["a"]], 1)


def test_phrase_coverage_joined_search_equals_the_per_text_test() -> None:
    """`phrase_coverage` looks each phrase up once in the texts joined: the same floats as
    counting `p in t` per text, with repeated and empty phrases, a separator inside a text
    (searched per text), and more texts than one search takes."""
    from techmatch.matcher.prf import phrase_coverage

    def by_text(phrases, texts):
        return np.array([sum(p in t for p in phrases) / len(phrases) for t in texts])

    rng = np.random.default_rng(5)
    alphabet = list("锂电池隔膜ab ,")
    for _ in range(200):
        texts = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 40))))
                 for _ in range(int(rng.integers(0, 70)))]
        phrases = tuple("".join(rng.choice(alphabet, size=int(rng.integers(0, 4))))
                        for _ in range(int(rng.integers(1, 12))))
        assert phrase_coverage(phrases, texts).tobytes() == by_text(phrases, texts).tobytes()
    texts = ["锂电池\x00隔膜", "隔膜", ""]
    assert phrase_coverage(("隔膜", "锂电池"), texts).tolist() == [1.0, 0.5, 0.0]
