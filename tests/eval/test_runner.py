"""The runner: scoring of fixed runs by hand, in-memory fusion, and the tiny set end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from techmatch.config import RetrievalParams, Settings
from techmatch.errors import ValidationError
from techmatch.eval.configs import CONFIGS, EvalContext, resolve_configs
from techmatch.eval.datasets import Dataset, load_dataset
from techmatch.eval.metrics import parse_metrics
from techmatch.eval.runner import (
    EvalOptions,
    build_context,
    open_workspace,
    run_evaluation,
    score_runs,
    summary,
)
from techmatch.indexers.vector_cache import CachedEncoder
from techmatch.matcher.fusion import rrf
from techmatch.models.results import Hit, Ranking


def _dataset() -> Dataset:
    return Dataset(name="hand", path=Path("."), split="dev",
                   queries={"q1": "一", "q2": "二"}, splits=("dev",),
                   qrels={"q1": {"a": 2, "b": 1}, "q2": {"c": 1}})


def test_score_runs_by_hand() -> None:
    runs = {"lexical": {"q1": ["a", "b"], "q2": ["x", "c"]},
            "dense": {"q1": ["b", "a"], "q2": ["c"]}}
    out = score_runs(_dataset(), runs, parse_metrics("ndcg@10,mrr@10,recall@1"), ["q1", "q2"],
                     options=EvalOptions(trials=200))
    ideal = 2 + 1 / math.log2(3)
    swapped = (1 + 2 / math.log2(3)) / ideal
    assert out["configs"]["lexical"] == pytest.approx(
        {"ndcg@10": (1 + 1 / math.log2(3)) / 2, "mrr@10": 0.75, "recall@1": 0.25})
    assert out["configs"]["dense"] == pytest.approx(
        {"ndcg@10": (swapped + 1) / 2, "mrr@10": 1.0, "recall@1": 0.75})
    assert out["per_query"]["dense"]["ndcg@10"]["q1"] == pytest.approx(swapped)
    failing = out["failures"]["lexical"]
    assert failing["count"] == 1 and failing["queries"][0]["id"] == "q2"
    assert failing["queries"][0]["first_relevant_rank"] == 2
    assert failing["1-ndcg@10"] == pytest.approx(1 - (1 + 1 / math.log2(3)) / 2)
    test = out["significance"]["tests"]["dense"]["mrr@10"]
    assert test["delta"] == pytest.approx(0.25)
    assert list(out["significance"]["tests"]) == ["dense"]  # the baseline is not tested
    assert out["recall_curve"]["lexical"][:2] == pytest.approx([0.25, 1.0])


class _FixedRetriever:
    """Answers every query with the same lexical and dense lists."""

    def __init__(self) -> None:
        self.lists = {"lexical": (["a", "b", "c"], [3.0, 2.0, 1.0]),
                      "dense": (["c", "a", "d"], [0.9, 0.8, 0.1])}
        self.calls: list[tuple[str, int]] = []

    def search_many(self, texts: list[str], *, kind: str, k: int, mode: str,
                    **_: object) -> list[Ranking]:
        self.calls.append((mode, k))
        ids, scores = self.lists[mode]
        hits = [Hit(id=i, kind=kind, score=s, rank=r + 1)
                for r, (i, s) in enumerate(zip(ids[:k], scores[:k], strict=True))]
        return [Ranking(kind=kind, mode=mode, hits=hits) for _ in texts]


def test_hybrid_configs_fuse_cached_lists() -> None:
    fake = _FixedRetriever()
    ctx = EvalContext(retriever=fake, query_ids=["q1", "q2"], texts=["x", "y"],  # type: ignore[arg-type]
                      vectors=np.zeros((2, 4), dtype=np.float32), k=3)
    expected = rrf([fake_c("lexical", fake), fake_c("dense", fake)], k=60).ids[:3]
    assert CONFIGS["hybrid-rrf"](ctx) == {"q1": expected, "q2": expected}
    assert CONFIGS["lexical"](ctx)["q1"] == ["a", "b", "c"]
    assert CONFIGS["hybrid-weighted"](ctx)["q1"][0] in {"a", "c"}
    CONFIGS["dense"](ctx)
    assert fake.calls == [("lexical", 200), ("dense", 200)]  # each retriever asked once
    assert ctx.params_used["hybrid-rrf"]["fusion"] == "rrf"


def fake_c(mode: str, fake: _FixedRetriever):  # type: ignore[no-untyped-def]
    from techmatch.indexers.base import Candidates

    ids, scores = fake.lists[mode]
    return Candidates(ids, np.array(scores))


def test_unknown_configuration_lists_valid_ones() -> None:
    with pytest.raises(ValidationError, match="hybrid-rrf"):
        resolve_configs("lexical,bm42")


def test_in_memory_fusion_equals_retriever_search(tiny_dataset: Path, eval_settings: Settings,
                                                  encoder: CachedEncoder) -> None:
    ds = load_dataset(tiny_dataset, "dev")
    ws = open_workspace(ds, eval_settings, encoder=encoder)
    try:
        ctx = build_context(ws, ds, default_params=RetrievalParams(), k=5)
        retriever = ws.engine.retriever()
        for params in (RetrievalParams(fusion="rrf", rrf_k=10, depth=8),
                       RetrievalParams(fusion="weighted", normalization="zscore", depth=6,
                                       lexical_weight=0.3)):
            direct = retriever.search_many(ctx.texts, kind="achievement", k=5, params=params)
            assert ctx.run(params) == {q: [h.id for h in r.hits]
                                       for q, r in zip(ctx.query_ids, direct, strict=True)}
    finally:
        ws.engine.close()


def test_tiny_set_end_to_end(tiny_dataset: Path, eval_settings: Settings,
                             encoder: CachedEncoder, raw_encoder: object,
                             vector_cache: Path) -> None:
    eval_settings.save_retrieval(RetrievalParams(fusion="weighted", lexical_weight=0.6))
    report = run_evaluation(tiny_dataset, eval_settings, EvalOptions(trials=500),
                            encoder=encoder)
    assert report["queries"] == 4 and report["corpus"]["records"] == 12
    assert set(report["configs"]) == {"lexical", "dense", "hybrid-rrf", "hybrid-weighted",
                                      "default", "ranker-default"}
    assert report["params"]["default"]["lexical_weight"] == 0.6  # the tuned file is used
    for name, values in report["configs"].items():
        per_query = report["per_query"][name]["ndcg@10"]
        assert set(per_query) == {"q1", "q2", "q3", "q4"}
        assert values["ndcg@10"] == pytest.approx(sum(per_query.values()) / 4)
        assert 0.0 <= values["ndcg@10"] <= 1.0
    # q4's only relevant record says 水稻病害图像识别 almost verbatim: every retriever finds it
    assert all(report["per_query"][n]["mrr@10"]["q4"] == 1.0 for n in report["configs"])
    assert report["experts"]["queries"] == 4
    assert 0.5 <= report["experts"]["metrics"]["mrr@10"] <= 1.0
    assert any("已载入语料" in note for note in report["notes"])
    out = summary(report)
    assert set(out) >= {"dataset", "split", "queries", "configs", "significance", "seconds"}
    # a second run reuses the work folder: nothing is loaded or indexed again
    again = run_evaluation(tiny_dataset, eval_settings, EvalOptions(trials=500),
                           encoder=CachedEncoder(raw_encoder, vector_cache))  # type: ignore[arg-type]
    assert again["notes"] == ["已载入语料：读取 12 行，拒绝 0 行"]  # as loaded before
    assert again["configs"] == report["configs"]


def test_hit_calibration_reports_debiased_error_and_interval_by_query() -> None:
    """The expert calibration carried the plain ECE and its floor only; 71 top hits cannot show
    ECE ≤ 0.05 by it, so the debiased error and the ECE's bootstrap interval sit beside it."""
    from techmatch.eval.runner import hit_calibration
    from techmatch.matcher.calibrate import debiased_ce, reliability

    conf = [0.15] * 4 + [0.9] * 5
    labels = [1, 0, 0, 0, 1, 1, 0, 0, 0]
    hits = {"q1": [(f"e{i}", c) for i, c in enumerate(conf)]}
    qrels = {"q1": {f"e{i}": 1 for i, y in enumerate(labels) if y}}
    one = hit_calibration(hits, qrels)
    assert one["ece_top10"] == pytest.approx(reliability(np.array(conf), np.array(labels)).ece)
    assert one["ece_top10_debiased"] == pytest.approx(debiased_ce(np.array(conf),
                                                                  np.array(labels)))
    # one query: its hits resample together, so the interval is the ECE itself
    assert one["ece_top10_interval"] == pytest.approx([one["ece_top10"]] * 2)
    # nine queries of one hit each: the interval spreads
    many = hit_calibration({f"q{i}": [(f"e{i}", c)] for i, c in enumerate(conf)},
                           {f"q{i}": {f"e{i}": 1} for i, y in enumerate(labels) if y})
    assert many["ece_top1"] == pytest.approx(one["ece_top10"])
    low, high = many["ece_top1_interval"]
    assert low < many["ece_top1"] < high
    assert many["ece_top1_debiased"] == pytest.approx(one["ece_top10_debiased"])
    assert many["pairs"] == 9 and many["ece_top1_floor"] > 0
