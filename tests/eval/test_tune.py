"""Tuning: the grid, tie-breaking towards simpler points, cross-validation, the saved winner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from techmatch.config import RetrievalParams, Settings
from techmatch.errors import ValidationError
from techmatch.eval.tune import choose, cross_validate, grid, run_tuning, simplicity
from techmatch.indexers.vector_cache import CachedEncoder


def test_grid_has_every_point_once() -> None:
    points = grid()
    assert len(points) == 3 * (4 + 2 * 5)  # depths × (rrf k + normalisations × weights)
    assert len({p.model_dump_json() for p in points}) == len(points)
    assert {p.depth for p in points} == {50, 100, 200}
    assert all(p.lexical_weight == 0.5 for p in points if p.fusion == "rrf")


def test_ties_go_to_the_simpler_point() -> None:
    points = [RetrievalParams(fusion="weighted", depth=100),
              RetrievalParams(fusion="rrf", rrf_k=10, depth=200),
              RetrievalParams(fusion="rrf", rrf_k=60, depth=100),
              RetrievalParams(fusion="rrf", rrf_k=30, depth=100)]
    scores = np.array([[0.9, 0.8], [0.9, 0.8], [0.9, 0.8], [0.9, 0.8]])
    assert choose(points, scores) == 2  # the default RRF point
    scores[0] += 0.01
    assert choose(points, scores) == 0  # a real gain beats simplicity
    assert simplicity(points[3]) < simplicity(points[1])


def test_cross_validation_scores_held_out_queries() -> None:
    points = [RetrievalParams(rrf_k=60), RetrievalParams(rrf_k=10)]
    # point 1 wins on queries 0-2 only; point 0 on 3-5 by more
    scores = np.array([[0.5, 0.5, 0.5, 0.9, 0.9, 0.9], [0.6, 0.6, 0.6, 0.1, 0.1, 0.1]])
    out = cross_validate(points, scores, folds=2, seed=3)
    assert out["folds"] == 2 and sum(r["queries"] for r in out["per_fold"]) == 6
    for row in out["per_fold"]:
        assert row["held_out"] <= row["train"] + 0.5
    assert 0.1 <= out["held_out"] <= 0.9
    with pytest.raises(ValidationError):
        cross_validate(points, scores, folds=1)


def test_tuning_on_tiny_set_saves_winner(tiny_dataset: Path, eval_settings: Settings,
                                         encoder: CachedEncoder) -> None:
    report = run_tuning(tiny_dataset, eval_settings, split="dev", folds=2, encoder=encoder)
    assert report["grid_points"] == 42 and report["queries"] == 4
    best = RetrievalParams.model_validate(report["best"])
    assert eval_settings.retrieval() == best
    top = max(row["ndcg@10"] for row in report["grid"])
    assert report["splits"]["dev"]["tuned"]["ndcg@10"] == pytest.approx(top)
    assert report["splits"]["dev"]["tuned"]["ndcg@10"] >= \
        report["splits"]["dev"]["default-params"]["ndcg@10"]
    assert set(report["splits"]) == {"dev", "test"}  # the fixture has a test split
    assert report["cross_validation"]["folds"] == 2
