"""Abstention: key terms, absolute evidence, the logistic model and the confidence scaling."""

from __future__ import annotations

import numpy as np
import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.abstain import (
    EVIDENCE,
    AbstainModel,
    Candidate,
    adjust,
    evidence,
    fit_abstain,
    key_cover,
    key_terms,
)
from techmatch.matcher.abstain_hits import HitModel, fit_hits, hit_inputs


def test_key_terms_prefer_keywords_then_term_lists_then_tokens() -> None:
    tokens = frozenset({"泡沫", "镍", "超级电容"})
    assert key_terms("随便什么", ["泡沫镍", "超级电容"], tokens) == ("泡沫镍", "超级电容")
    assert key_terms("泡沫镍、超级电容、电极", None, tokens) == ("泡沫镍", "电极", "超级电容")
    # a sentence is not a term list: its tokens of two or more characters
    assert key_terms("我们需要一种用于超级电容的泡沫镍电极材料，要求导电性好", None,
                     tokens) == ("泡沫", "超级电容")


def test_key_cover_counts_whole_terms_in_normalised_text() -> None:
    # traditional → simplified
    assert key_cover(["泡沫镍", "电极"], "一种泡沫鎳电极的制备方法") == 1.0
    assert key_cover(["泡沫镍", "锂"], "泡沫镍") == 0.5
    assert key_cover([], "泡沫镍") == 0.0


def _cand(cos: float, bm25: float, text: str, tokens: set[str]) -> Candidate:
    return Candidate(cosine=cos, bm25=bm25, text=text, tokens=frozenset(tokens))


def test_evidence_values() -> None:
    cands = [_cand(0.9, 12.0, "泡沫镍电极", {"泡沫", "镍", "电极"}),
             _cand(0.86, 3.0, "电极", {"电极"}),
             *[_cand(0.8 - i / 100, 0.0, "", set()) for i in range(10)]]
    x = dict(zip(EVIDENCE, evidence(("泡沫镍", "电极"), frozenset({"泡沫", "镍", "电极", "锂"}),
                                    cands), strict=True))
    assert x["top_dense"] == pytest.approx(0.9)
    assert x["dense_gap10"] == pytest.approx(0.9 - 0.73)  # 10th highest cosine: 0.8 − 0.07
    assert x["top_key_cover"] == 1.0 and x["best_key_cover"] == 1.0
    assert x["best_token_cover"] == 0.75
    assert x["lexical_per_token"] == pytest.approx(12.0 / 4)
    assert x["n_dense_85"] == pytest.approx(np.log1p(2))
    assert x["n_dense_88"] == pytest.approx(np.log1p(1)) and x["n_dense_91"] == 0.0
    assert x["n_key_cover_half"] == pytest.approx(np.log1p(2))  # both cover ≥ half the terms
    assert x["n_key_terms"] == pytest.approx(np.log1p(2))
    assert not evidence(("a",), frozenset(), []).any()


def test_translation_counts_as_coverage() -> None:
    cands = [_cand(0.85, 0.0, "泡沫镍电极的制备", {"泡沫", "镍", "电极", "制备"})]
    q_tokens = frozenset({"nickel", "foam", "electrode"})
    plain = dict(zip(EVIDENCE, evidence(("nickel foam", "electrode"), q_tokens, cands,
                                        language="en"), strict=True))
    crossed = dict(zip(EVIDENCE, evidence([("nickel foam", "泡沫镍"), ("electrode", "电极")],
                                          q_tokens, cands, translated=["泡沫", "电极"],
                                          language="en"), strict=True))
    assert plain["best_key_cover"] == 0.0 and crossed["best_key_cover"] == 1.0
    assert plain["best_token_cover"] == 0.0 and crossed["best_token_cover"] == 1.0
    assert plain["cross_language"] == 1.0  # English need, Chinese top candidate
    same = dict(zip(EVIDENCE, evidence(("泡沫镍",), frozenset(), cands, language="zh"),
                    strict=True))
    assert same["cross_language"] == 0.0


def test_fit_separates_and_is_monotone_in_evidence() -> None:
    rng = np.random.default_rng(0)
    good = rng.normal(1.0, 0.3, size=(60, len(EVIDENCE)))
    bad = rng.normal(0.0, 0.3, size=(60, len(EVIDENCE)))
    x = np.vstack([good, bad])
    y = np.array([1] * 60 + [0] * 60)
    model = fit_abstain(x, y, kind="achievement", encoder="enc")
    p = model.probability(x)
    assert p[:60].mean() > 0.8 and p[60:].mean() < 0.2
    again = AbstainModel.model_validate_json(model.model_dump_json())
    assert np.allclose(again.probability(x), p)
    assert again.fits("enc") and not again.fits("other")
    with pytest.raises(ValidationError):
        fit_abstain(x, np.ones(len(x), dtype=int), kind="achievement", encoder="enc")


def test_adjust_gives_the_top_hit_the_answerable_probability() -> None:
    out = adjust(np.array([0.9, 0.45, 0.0]), 0.2)
    assert out.tolist() == pytest.approx([0.2, 0.1, 0.0])
    assert adjust(np.zeros(2), 0.9).tolist() == [0.0, 0.0]
    assert adjust(np.array([]), 0.5).size == 0


def test_hit_inputs_hold_logit_log_rank_values_and_gaps_to_the_top() -> None:
    values = np.array([[0.9, 1.0], [0.8, 0.5], [0.7, 0.0]])
    x = hit_inputs(0.5, values)
    assert x.shape == (3, 6)
    assert x[:, 0].tolist() == pytest.approx([0.0, 0.0, 0.0])  # logit(0.5)
    assert x[:, 1].tolist() == pytest.approx(np.log([1, 2, 3]).tolist())
    assert x[2, 2:].tolist() == pytest.approx([0.7, 0.0, 0.2, 1.0])
    assert hit_inputs(0.5, np.zeros((0, 2))).shape == (0, 6)


def test_hit_model_learns_relevance_and_confidences_never_rise_down_the_ranking() -> None:
    rng = np.random.default_rng(2)
    xs, ys = [], []
    for _ in range(200):  # relevant when the hit's first column is close to the top's
        p = float(rng.uniform(0.05, 0.95))
        values = np.sort(rng.uniform(0.0, 1.0, size=(10, 1)), axis=0)[::-1]
        x = hit_inputs(p, values)[1:]
        xs.append(x)
        ys.append(((values[0, 0] - values[1:, 0]) < 0.2).astype(int))
    model = fit_hits(np.vstack(xs), np.concatenate(ys), ["dense"])
    near, far = hit_inputs(0.5, np.array([[0.9], [0.85], [0.2]]))[1:]
    assert model.probability(near)[0] > 0.7 > 0.3 > model.probability(far)[0]
    conf = model.confidences(0.9, np.array([[0.9], [0.89], [0.1], [0.88]]))
    raw = model.probability(hit_inputs(0.9, np.array([[0.9], [0.89], [0.1], [0.88]])))
    assert conf[0] == pytest.approx(0.9)
    assert np.all(np.diff(conf) <= 0) and raw[2] < 0.3 < raw[3]
    # the far hit between two near ones is pooled with the one below it, not the reverse
    assert conf[1] == pytest.approx(min(raw[1], 0.9))
    assert conf[2] == pytest.approx(conf[3]) == pytest.approx((raw[2] + raw[3]) / 2)
    assert model.confidences(0.4, np.array([[0.9], [0.89]]))[1] == pytest.approx(0.4)
    again = HitModel.model_validate_json(model.model_dump_json())
    assert np.allclose(again.probability(near), model.probability(near))
    with pytest.raises(ValidationError):
        fit_hits(np.vstack(xs), np.zeros(len(np.vstack(xs)), dtype=int), ["dense"])


def test_non_increasing_is_the_isotonic_fit() -> None:
    from techmatch.matcher.abstain_hits import non_increasing

    assert non_increasing(np.array([0.3, 0.1, 0.2])).tolist() == pytest.approx([0.3, 0.15, 0.15])
    assert non_increasing(np.array([0.1, 0.2, 0.3])).tolist() == pytest.approx([0.2] * 3)
    assert non_increasing(np.array([0.5, 0.4, 0.4, 0.1])).tolist() == [0.5, 0.4, 0.4, 0.1]
    assert non_increasing(np.zeros(0)).size == 0
    values = np.random.default_rng(0).uniform(size=50)
    out = non_increasing(values)
    assert np.all(np.diff(out) <= 1e-12) and out.sum() == pytest.approx(values.sum())


def test_a_near_duplicate_takes_the_confidence_of_the_hit_it_copies() -> None:
    from techmatch.matcher.needevidence import duplicates

    v = np.array([[1.0, 0.0], [0.0, 1.0], [0.999, 0.0447], [0.0, 0.0]])
    assert duplicates(v, 0.95) == [None, None, 0, None]  # zero rows never match
    model = HitModel(columns=["dense"], mean=[0.0] * 4, std=[1.0] * 4,
                     weights=[0.0] * 4, intercept=-2.0)  # σ(-2) = 0.12 below the top
    values = np.zeros((4, 1))
    plain = model.confidences(0.9, values)
    assert plain.tolist() == pytest.approx([0.9, 0.1192, 0.1192, 0.1192], abs=1e-4)
    dup = model.confidences(0.9, values, [None, 0, None, None])  # hit 1 copies hit 0
    assert dup.tolist() == pytest.approx([0.9, 0.9, 0.1192, 0.1192], abs=1e-4)
    capped = model.confidences(0.9, values, [None, None, 0, None])  # capped by hit 1
    assert capped.tolist() == pytest.approx([0.9, 0.1192, 0.1192, 0.1192], abs=1e-4)


def test_sample_weights_set_the_population_the_probability_is_calibrated_for() -> None:
    from techmatch.matcher.abstain_hits import fit_logistic

    x = np.zeros((200, 1))  # no evidence: the fitted P is the weighted share of positives
    y = np.array([1] * 100 + [0] * 100)
    plain = fit_logistic(x, y, c=1.0, seed=0, one_class="-")
    weighted = fit_logistic(x, y, c=1.0, seed=0, one_class="-",
                            weight=np.array([1.0] * 100 + [0.25] * 100))
    assert 1 / (1 + np.exp(-plain.intercept)) == pytest.approx(0.5, abs=1e-3)
    assert 1 / (1 + np.exp(-weighted.intercept)) == pytest.approx(0.8, abs=1e-3)
    with pytest.raises(ValidationError, match="weight"):
        fit_logistic(x, y, c=1.0, seed=0, one_class="-", weight=np.ones(3))


def test_ece_floor_is_what_a_calibrated_model_shows_on_as_few_pairs() -> None:
    from techmatch.matcher.calibrate import ece_floor, reliability

    rng = np.random.default_rng(1)
    few, many = rng.uniform(size=70), rng.uniform(size=7000)
    assert ece_floor(few) > 0.06 > 0.02 > ece_floor(many)
    assert ece_floor(few) == ece_floor(few)  # seeded
    assert ece_floor(np.zeros(0)) == 0.0
    # a calibrated model's own ECE on a fresh sample is of the floor's size, not 0
    labels = rng.uniform(size=70) < few
    assert abs(reliability(few, labels).ece - ece_floor(few)) < 0.08
