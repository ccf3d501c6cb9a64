"""Query style from the text alone, style-gated list features, and the pairwise fit."""

from __future__ import annotations

import numpy as np
import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.features import FEATURES, Query, build_table
from techmatch.matcher.prf import (
    STYLED_FEATURES,
    phrase_coverage,
    styled_columns,
    top_discipline,
    uses_prf,
)
from techmatch.matcher.querystyle import list_style, query_style
from techmatch.matcher.scorer import LinearModel
from techmatch.matcher.train import (
    MIN_STYLE_QUERIES,
    TrainOptions,
    fit_linear,
    pair_differences,
    style_support,
)
from techmatch.models.records import Achievement
from techmatch.models.results import Component, Hit, Ranking

F = frozenset


def test_keyword_lists_and_statements_are_told_apart() -> None:
    assert list_style("修正Rodrigues参数模型、平方和优化、大角度机动、Lyapunov函数") == \
        pytest.approx(0.5)  # 4 phrases, 2 of them at most 8 characters
    assert list_style("项目管理、全过程管理、水运工程") == 1.0
    assert list_style("锂电池；隔膜") == 0.5  # two short phrases: half a list
    assert list_style("一种基于平方和优化的飞行器大角度机动镇定控制器设计方法") == 0.0
    assert list_style("") == 0.0
    style = query_style(" 补肾活血汤 , 老年 ")
    assert style.phrases == ("补肾活血汤", "老年") and style.mean_phrase_length == 3.5
    # a title with one comma and long clauses is not a list; with a short one, a quarter
    assert list_style("基于深度学习的图像分割方法研究，面向医学影像的应用分析") == 0.0
    assert list_style("基于深度学习的图像分割方法研究，以医学影像为例") == 0.25


def test_top_discipline_compares_with_the_top_hit_and_the_top_hit_with_the_second() -> None:
    facets = [F({"化学"}), F({"物理"}), F({"化学"}), F()]
    assert top_discipline(facets).tolist() == [-1.0, -1.0, 1.0, 0.0]
    assert top_discipline([F({"化学"})]).tolist() == [0.0]


def test_phrase_coverage_counts_verbatim_phrases() -> None:
    got = phrase_coverage(("锂电池", "隔膜"), ["锂电池的隔膜材料", "锂电池", "桥梁"])
    assert got.tolist() == [1.0, 0.5, 0.0]
    assert phrase_coverage((), ["x"]).tolist() == [0.0]


def test_styled_columns_are_the_centred_base_columns_times_the_gate() -> None:
    base = {col: np.array([1.0, -2.0]) for col in STYLED_FEATURES.values()}
    cols = styled_columns(0.5, base)
    assert cols["list_style"].tolist() == [0.5, 0.5]
    assert cols["list_phrase_coverage"].tolist() == [0.75, -0.75]
    assert all(styled_columns(0.0, base)[n].tolist() == [0.0, 0.0] for n in STYLED_FEATURES)


def _hit(rid: str, score: float) -> Hit:
    return Hit(id=rid, kind="achievement", score=score, rank=1, lexical=Component(),
               dense=Component())


def _table(text: str):
    recs = {f"a{i}": Achievement(id=f"a{i}", title=t, discipline=d)
            for i, (t, d) in enumerate([("锂电池隔膜", "化学"), ("锂电池回收", "化学"),
                                        ("桥梁检测", "土木")])}
    ranking = Ranking(kind="achievement", mode="hybrid",
                      hits=[_hit("a0", 1.0), _hit("a1", 0.8), _hit("a2", 0.5)])
    tokens = {"a0": F({"锂电池", "隔膜"}), "a1": F({"锂电池", "回收"}), "a2": F({"桥梁"})}
    return build_table(Query.of(text), F({"锂电池"}), ranking, "achievement", recs, tokens,
                       np.array([0.9, 0.8, 0.2]))


def test_build_table_gates_list_evidence_by_the_query_style() -> None:
    assert set(STYLED_FEATURES) <= set(FEATURES["achievement"])
    listed = _table("锂电池、隔膜、储能")
    assert listed.column("list_style").tolist() == [1.0, 1.0, 1.0]
    assert listed.column("list_phrase_coverage").tolist() == \
        pytest.approx([2 / 3 - 1 / 3, 1 / 3 - 1 / 3, -1 / 3])  # centred over the candidates
    assert listed.column("list_top_discipline").tolist() == pytest.approx([2 / 3, 2 / 3, -4 / 3])
    prf = listed.column("prf_discipline")
    assert listed.column("list_prf_discipline").tolist() == pytest.approx(prf - prf.mean())
    statement = _table("一种锂电池隔膜的制备方法")
    assert statement.column("list_style").tolist() == [0.0, 0.0, 0.0]
    for name in STYLED_FEATURES:
        assert statement.column(name).tolist() == [0.0, 0.0, 0.0]
    assert statement.column("prf_discipline").tolist() == \
        pytest.approx(listed.column("prf_discipline").tolist())


def test_a_model_weighing_styled_features_needs_the_prf_columns() -> None:
    lm = LinearModel(kind="achievement", features=["hybrid_mm", "list_phrase_coverage"],
                     weights=[1.0, 0.0])
    assert not uses_prf(lm)
    lm.weights = [1.0, 0.5]
    assert uses_prf(lm) and uses_prf(lm, "锂电池、隔膜、储能")
    assert not uses_prf(lm, "一种锂电池隔膜的制备方法")  # gated features are 0 for it


def _style_rows(n_list: int, n_plain: int, seed: int = 0):
    """Queries of 10 candidates, 1 relevant: for list queries the gated feature finds it."""
    rng = np.random.default_rng(seed)
    names = ("hybrid_mm", "list_style", "list_phrase_coverage")
    xs, ys, groups = [], [], []
    for q in range(n_list + n_plain):
        gate = 1.0 if q < n_list else 0.0
        hyb = rng.uniform(size=10)
        y = np.zeros(10, dtype=int)
        y[int(np.argmax(hyb + rng.normal(scale=0.3, size=10)))] = 1
        cov = np.where(y > 0, 1.0, rng.uniform(0, 0.5, size=10)) * gate
        xs.append(np.column_stack([hyb, np.full(10, gate), cov]))
        ys.append(y)
        groups += [f"q{q}"] * 10
    return np.vstack(xs), np.concatenate(ys), np.array(groups), names


def test_pairwise_fit_learns_within_query_order_and_ignores_the_gate() -> None:
    x, y, groups, names = _style_rows(80, 80)
    model = fit_linear(x, y, names, "achievement", TrainOptions(objective="pairwise"), groups)
    w = dict(zip(model.features, model.weights, strict=True))
    assert w["list_phrase_coverage"] > 0 and w["hybrid_mm"] > 0
    assert w["list_style"] == 0.0 and model.intercept == 0.0
    with pytest.raises(ValidationError, match="groups"):
        fit_linear(x, y, names, "achievement", TrainOptions(objective="pairwise"))
    with pytest.raises(ValidationError, match="objective"):
        fit_linear(x, y, names, "achievement", TrainOptions(objective="listwise"), groups)


def test_pair_differences_weigh_each_query_equally() -> None:
    x = np.array([[1.0], [0.0], [0.5], [3.0], [1.0]])
    d, w = pair_differences(x, np.array([1, 0, 0, 1, 0]), np.array(["a", "a", "a", "b", "b"]))
    assert sorted(d[:, 0].tolist()) == [0.5, 1.0, 2.0]
    assert sorted(w.tolist()) == [0.5, 0.5, 1.0]


def test_styled_features_stay_zero_without_enough_queries_of_the_style() -> None:
    few = int(MIN_STYLE_QUERIES) - 10
    x, y, groups, names = _style_rows(few, 200)
    assert style_support(x, names, groups).tolist() == [True, True, False]
    model = fit_linear(x, y, names, "achievement", TrainOptions(objective="pairwise"), groups)
    assert model.weights[2] == 0.0 and model.weights[0] > 0
    x, y, groups, names = _style_rows(int(MIN_STYLE_QUERIES) + 10, 200)
    assert style_support(x, names, groups).all()
