"""Metric names and values against hand-computed references."""

from __future__ import annotations

import math

import pytest

from techmatch.errors import ValidationError
from techmatch.eval.metrics import evaluate, mean, parse_metric, parse_metrics, recall_curve

QRELS = {"q1": {"d1": 2, "d2": 1, "d9": 0}, "q2": {"d4": 1}, "q3": {"d7": 1, "d8": 1}}
RUN = {"q1": ["d3", "d1", "d2"], "q2": ["d5", "d6", "d4"], "q3": ["d8", "d0", "d7"]}


def test_reference_values_computed_by_hand() -> None:
    got = evaluate(QRELS, RUN, ["ndcg@10", "mrr@10", "mrr@2", "recall@2", "recall@100", "map",
                                "precision@2"])
    # q1: DCG = 2/log2(3) + 1/log2(4); ideal = 2/log2(2) + 1/log2(3) (linear gains)
    q1_ndcg = (2 / math.log2(3) + 1 / 2) / (2 + 1 / math.log2(3))
    assert got["ndcg@10"]["q1"] == pytest.approx(q1_ndcg)  # 0.66967
    assert got["ndcg@10"]["q2"] == pytest.approx(0.5)  # (1/log2 4) / 1
    q3_ndcg = (1 + 1 / 2) / (1 + 1 / math.log2(3))  # relevant at ranks 1 and 3
    assert got["ndcg@10"]["q3"] == pytest.approx(q3_ndcg)
    assert got["mrr@10"] == pytest.approx({"q1": 0.5, "q2": 1 / 3, "q3": 1.0})
    assert got["mrr@2"] == pytest.approx({"q1": 0.5, "q2": 0.0, "q3": 1.0})  # q2 cut at 2
    assert got["recall@2"] == pytest.approx({"q1": 0.5, "q2": 0.0, "q3": 0.5})
    assert got["recall@100"] == pytest.approx({"q1": 1.0, "q2": 1.0, "q3": 1.0})
    assert got["map"] == pytest.approx({"q1": (1 / 2 + 2 / 3) / 2, "q2": 1 / 3,
                                        "q3": (1 + 2 / 3) / 2})
    assert got["precision@2"] == pytest.approx({"q1": 0.5, "q2": 0.0, "q3": 0.5})
    assert mean(got["mrr@10"]) == pytest.approx((0.5 + 1 / 3 + 1) / 3)


def test_unanswered_query_scores_zero_and_order_is_the_runs() -> None:
    got = evaluate({"q1": {"a": 1}, "q2": {"b": 1}}, {"q1": ["z", "a"]}, ["mrr@10"])
    assert got["mrr@10"] == {"q1": 0.5, "q2": 0.0}
    # scores come from rank, so id order ("z" > "a") cannot reorder the ranking
    assert evaluate({"q": {"z": 1}}, {"q": ["a", "z"]}, ["mrr@10"])["mrr@10"]["q"] == 0.5


def test_queries_without_positive_grade_are_not_evaluated() -> None:
    got = evaluate({"q1": {"a": 1}, "q0": {"b": 0}}, {"q1": ["a"], "q0": ["b"]}, ["ndcg@10"])
    assert got["ndcg@10"] == {"q1": 1.0}


def test_names_map_to_trec_measures() -> None:
    assert parse_metric("ndcg@10").measure == "ndcg_cut.10"
    assert parse_metric("NDCG@10").key == "ndcg_cut_10"
    assert (parse_metric("mrr@10").measure, parse_metric("mrr@10").cut) == ("recip_rank", 10)
    assert parse_metric("recall@100").key == "recall_100"
    assert parse_metric("map").key == "map"
    assert parse_metric("map@10").key == "map_cut_10"
    assert parse_metric("precision@5").key == "P_5"
    assert [m.name for m in parse_metrics("ndcg@10, map,ndcg@10")] == ["ndcg@10", "map"]


_FAMILIES = "ndcg[@k]、ndcg_exp[@k]、mrr[@k]、recall@k、map[@k]、precision@k（p@k）"


@pytest.mark.parametrize(("name", "said"), [
    ("bleu", f"未知评测指标 bleu（可选：{_FAMILIES}）"),
    ("recall", "recall 需要截断位置，如 recall@10"),
    ("ndcg@0", "ndcg@0 的截断位置应不小于 1"),
    ("mrr@x", f"未知评测指标 mrr@x（可选：{_FAMILIES}）"),
    ("", "至少需要一个评测指标")])
def test_bad_names_raise(name: str, said: str) -> None:
    """`techmatch eval --metrics …` refused in English: "unknown metric 'bleu'; valid: …",
    "'recall' needs a cutoff, e.g. recall@10", "cutoff of 'ndcg@0' must be >= 1", "no metric
    given"."""
    with pytest.raises(ValidationError) as bad:
        parse_metrics([name])
    assert str(bad.value) == f"字段 metrics：{said}"


def test_recall_curve_steps_at_each_relevant_rank() -> None:
    curve = recall_curve({"q": {"a": 1, "b": 1}}, {"q": ["x", "a", "y", "b"]}, max_k=5)
    assert curve == pytest.approx([0.0, 0.5, 0.5, 1.0, 1.0])


def test_exponential_gain_ndcg() -> None:
    # grades 2, 1 → gains 3, 1; ranking (d2, d1): DCG = 1 + 3/log2(3), ideal = 3 + 1/log2(3)
    got = evaluate({"q": {"d1": 2, "d2": 1}}, {"q": ["d2", "d1"]}, ["ndcg_exp@10", "ndcg@10"])
    assert got["ndcg_exp@10"]["q"] == pytest.approx((1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3)))
    assert got["ndcg@10"]["q"] == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
