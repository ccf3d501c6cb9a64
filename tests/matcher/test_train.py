"""train_ranker: splits, unfolded weights, per-kind models with held-out reliability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import make_engine

from techmatch.errors import ValidationError
from techmatch.matcher.train import (
    C_GRID,
    TrainOptions,
    fit_linear,
    mean_average_precision,
    needs_from_queries,
    split_queries,
    train_ranker,
)
from techmatch.models.records import Achievement, Expert, Need

TOPICS = ["锂电池", "废水", "小麦", "光伏", "涂层", "机器人", "茶叶", "中药", "风电", "冷链",
          "陶瓷", "阻燃", "污泥", "水稻", "压铸", "轴承", "玻璃", "饲料", "芯片", "纸浆"]


def test_split_is_deterministic_and_disjoint() -> None:
    ids = [f"q{i}" for i in range(200)]
    kept, held = split_queries(ids, 0.5, seed=3)
    assert (kept, held) == split_queries(list(reversed(ids)), 0.5, seed=3)
    assert not set(kept) & set(held) and len(kept) + len(held) == 200
    assert 70 < len(held) < 130
    assert split_queries(ids, 0.5, seed=4)[1] != held


def test_unfolded_weights_reproduce_the_standardised_model() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(loc=[5.0, -2.0], scale=[3.0, 0.1], size=(300, 2))
    y = (x[:, 0] / 3 + (x[:, 1] + 2) / 0.1 + rng.normal(size=300) > 1.5).astype(int)
    model = fit_linear(x, y, ("a", "b"), "achievement", TrainOptions())
    from sklearn.linear_model import LogisticRegression

    z = (x - x.mean(0)) / x.std(0)
    lr = LogisticRegression(class_weight="balanced", random_state=0, max_iter=5000).fit(z, y)
    assert model.score(x, ("a", "b")) == pytest.approx(lr.decision_function(z), abs=1e-6)


def test_constant_features_get_zero_weight() -> None:
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.normal(size=200), 0.9999999 + rng.normal(size=200) * 1e-9])
    y = (x[:, 0] > 0).astype(int)
    model = fit_linear(x, y, ("a", "recency"), "achievement", TrainOptions())
    assert model.weights[1] == 0.0 and abs(model.intercept) < 5


def test_fit_restricted_to_features_leaves_the_others_at_zero() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 3))
    y = (x[:, 0] + 2 * x[:, 1] > 0).astype(int)
    model = fit_linear(x, y, ("a", "b", "c"), "achievement", TrainOptions(features=("a",)))
    assert model.weights[0] > 0 and model.weights[1:] == [0.0, 0.0]
    free = fit_linear(x, y, ("a", "b", "c"), "achievement", TrainOptions())
    assert free.weights[1] > free.weights[0] > 0


def test_fit_rows_names_unknown_features() -> None:
    from techmatch.matcher.train import PairRows, fit_rows

    rows = PairRows(names=("a", "b"), x=[np.eye(2)], y=[np.array([1, 0])], groups=["q", "q"])
    with pytest.raises(ValidationError, match="未知排序特征.*'zz'"):
        fit_rows(rows, ["q"], [], "achievement", TrainOptions(features=("a", "zz")))


def test_needs_from_beir_queries_keep_discipline() -> None:
    needs = needs_from_queries({"q1": "锂电池、热失控"}, {"q1": {"discipline": "材料"}})
    assert needs["q1"].description == "锂电池、热失控" and needs["q1"].discipline == "材料"


def test_trains_one_model_per_labelled_kind(tmp_path: Path) -> None:
    records: list[Need | Achievement | Expert] = []
    qrels: dict[str, dict[str, int]] = {}
    for i, topic in enumerate(TOPICS):
        records += [Need(id=f"n{i}", title=f"{topic}问题", description=f"{topic}的生产难题"),
                    Achievement(id=f"a{i}", title=f"{topic}技术", abstract=f"{topic}的生产方法"),
                    Expert(id=f"e{i}", name=f"专家{i}", bio=f"{topic}研究", works=[f"a{i}"])]
        qrels[f"n{i}"] = {f"a{i}": 1, f"e{i}": 2, f"a{(i + 1) % len(TOPICS)}": 0}
    engine = make_engine(tmp_path, records)
    model = train_ranker(engine, qrels, options=TrainOptions(negatives=3, holdout=0.3))
    assert sorted(model.models) == ["achievement", "expert"]
    for lm in model.models.values():
        assert lm.calibrated and lm.metrics["heldout_queries"] > 0
        assert lm.metrics["c"] in C_GRID and len(lm.metrics["c_grid_oof_map"]) == len(C_GRID)
        for key in ("reliability", "reliability_top10"):
            rel = lm.metrics[key]
            assert isinstance(rel, dict) and 0.0 <= rel["ece"] <= 1.0 and rel["pairs"] > 0
    assert model.trained_on["kinds"] == ["achievement", "expert"]
    with pytest.raises(ValidationError, match="都在存储中"):
        train_ranker(engine, {"zz": {"yy": 1}})


def test_rows_keep_the_best_ranked_unlabelled_candidates_as_hard_negatives() -> None:
    from types import SimpleNamespace

    from techmatch.matcher.train import collect_rows

    ranked = [f"c{i:02d}" for i in range(30)]  # retrieval order
    table = SimpleNamespace(names=("f",), ids=ranked,
                            values=np.arange(len(ranked), dtype=float)[:, None])

    class Service:
        def feature_tables(self, queries, *, target, depth):  # type: ignore[no-untyped-def]
            return [table for _ in queries]

    qrels = {"q": {"c03": 2, "c10": 0}}
    queries = {"q": Need(id="q", title="锂电池")}
    opts = TrainOptions(negatives=4, hard_negatives=3)
    rows = collect_rows(Service(), qrels, queries, "achievement", opts)  # type: ignore[arg-type]
    x, y, _ = rows.arrays()
    kept = {ranked[int(v)] for v in x[:, 0]}
    assert {"c00", "c01", "c02"} <= kept  # the three best unlabelled, always
    assert {"c03", "c10"} <= kept and int(y.sum()) == 1  # labelled pairs, c03 the positive
    assert len(kept) == 2 + 3 + 4  # labelled + hard + sampled
    held = collect_rows(Service(), qrels, queries, "achievement", opts, keep_all={"q"})
    assert len(held.arrays()[1]) == len(ranked)  # held-out queries keep every candidate
    none = collect_rows(Service(), qrels, queries, "achievement",
                        TrainOptions(negatives=4, hard_negatives=0))
    assert len(none.arrays()[1]) == 2 + 4


def test_mean_average_precision_by_hand() -> None:
    # q1: positives ranked 1 and 3 -> (1/1 + 2/3) / 2; q3 has no positive and is skipped.
    scores = np.array([0.9, 0.5, 0.4, 0.8, 0.9, 0.1, 0.3])
    y = np.array([1, 0, 1, 0, 1, 0, 0])
    groups = np.array(["q1", "q1", "q1", "q2", "q2", "q3", "q3"])
    # q2: scores 0.8 (neg), 0.9 (pos) -> the positive is first: AP 1.0
    assert mean_average_precision(scores, y, groups) == pytest.approx(((1 + 2 / 3) / 2 + 1) / 2)
    flipped = np.array([0.9, 0.5, 0.4, 0.95, 0.9, 0.1, 0.3])
    assert mean_average_precision(flipped, y, groups) == pytest.approx(((1 + 2 / 3) / 2 + .5) / 2)


def test_ranking_run_uses_given_query_vectors_instead_of_encoding(tmp_path: Path) -> None:
    from techmatch.matcher.scorer import RankerModel
    from techmatch.matcher.service import MatchService
    from techmatch.matcher.train import ranking_run

    records = [Achievement(id=f"a{i}", title=f"{t}技术", abstract=f"{t}的生产方法")
               for i, t in enumerate(TOPICS)]
    engine = make_engine(tmp_path, records)
    service = MatchService(engine, model=RankerModel())
    needs = needs_from_queries({"q1": "锂电池生产", "q2": "茶叶加工"})
    plain = ranking_run(service, needs, k=5)
    vectors = dict(zip(sorted(needs), engine.encoder.encode_queries(
        [needs[q].text() for q in sorted(needs)]), strict=True))
    before = engine.encoder.calls  # type: ignore[attr-defined]
    given = ranking_run(service, needs, k=5, vectors=vectors)
    assert engine.encoder.calls == before  # type: ignore[attr-defined]  # nothing re-encoded
    assert given == plain and given["q1"][0] == "a0"
