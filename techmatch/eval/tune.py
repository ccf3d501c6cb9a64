"""Grid search of fusion parameters on a dev split; the winner becomes `<home>/retrieval.json`.

Lexical and dense candidates are retrieved once at the grid's largest depth and every grid point
is fused in memory. Objective: mean nDCG@10; ties (within 1e-9) go to the simpler point
(`simplicity`). With `folds` > 1 the queries are split at random (seeded) into folds and each
fold is scored with the point chosen on the other folds: an honest held-out estimate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from techmatch.config import RetrievalParams, Settings
from techmatch.errors import ValidationError
from techmatch.eval.configs import EvalContext
from techmatch.eval.datasets import Dataset, load_dataset, require_scored
from techmatch.eval.metrics import evaluate, mean
from techmatch.eval.runner import build_context, open_workspace, skipped_queries
from techmatch.indexers.encoders import Encoder

log = logging.getLogger(__name__)

OBJECTIVE = "ndcg@10"
RRF_K = (10, 30, 60, 100)
LEXICAL_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)
NORMALIZATIONS = ("minmax", "zscore")
DEPTHS = (50, 100, 200)


def grid() -> list[RetrievalParams]:
    """Every grid point once; parameters a fusion ignores stay at their defaults."""
    points = []
    for depth in DEPTHS:
        points += [RetrievalParams(fusion="rrf", rrf_k=k, depth=depth) for k in RRF_K]
        points += [RetrievalParams(fusion="weighted", normalization=norm,  # type: ignore[arg-type]
                                   lexical_weight=w, depth=depth)
                   for norm in NORMALIZATIONS for w in LEXICAL_WEIGHTS]
    return points


def simplicity(p: RetrievalParams) -> tuple[float, ...]:
    """Smaller is simpler: RRF before weighted, then closest to the defaults, then shallower."""
    d = RetrievalParams()
    return (float(p.fusion != "rrf"), float(p.depth != d.depth), float(p.depth),
            float(abs(p.rrf_k - d.rrf_k)), abs(p.lexical_weight - d.lexical_weight),
            float(p.normalization != d.normalization))


def score_points(ctx: EvalContext, dataset: Dataset,
                 points: Sequence[RetrievalParams]) -> np.ndarray:
    """Objective per (point, query): shape (len(points), len(ctx.query_ids))."""
    out = np.zeros((len(points), len(ctx.query_ids)), dtype=np.float64)
    for i, params in enumerate(points):
        values = evaluate(dataset.qrels, ctx.run(params), [OBJECTIVE],
                          query_ids=ctx.query_ids)[OBJECTIVE]
        out[i] = [values[q] for q in ctx.query_ids]
    return out


def choose(points: Sequence[RetrievalParams], scores: np.ndarray,
           columns: np.ndarray | None = None) -> int:
    """Index of the best point on the chosen query columns; ties → `simplicity`."""
    means = scores[:, columns].mean(axis=1) if columns is not None else scores.mean(axis=1)
    best = float(means.max())
    tied = [i for i in range(len(points)) if means[i] >= best - 1e-9]
    return min(tied, key=lambda i: simplicity(points[i]))


def _check_folds(folds: int, queries: int) -> None:
    if folds < 2 or folds > queries:
        raise ValidationError(f"应在 2 到查询数（{queries}）之间",
                              field="folds")


def cross_validate(points: Sequence[RetrievalParams], scores: np.ndarray, *, folds: int,
                   seed: int = 0) -> dict[str, Any]:
    """Tune on all folds but one, score the held-out fold; repeated for every fold."""
    n = scores.shape[1]
    _check_folds(folds, n)
    assignment = np.random.default_rng(seed).permutation(n) % folds
    held_out = np.zeros(n, dtype=np.float64)
    rows = []
    for fold in range(folds):
        test = np.flatnonzero(assignment == fold)
        train = np.flatnonzero(assignment != fold)
        best = choose(points, scores, train)
        held_out[test] = scores[best, test]
        rows.append({"fold": fold, "queries": int(test.size), "params": points[best].model_dump(),
                     "train": float(scores[best, train].mean()),
                     "held_out": float(scores[best, test].mean())})
    return {"folds": folds, "seed": seed, "held_out": float(held_out.mean()), "per_fold": rows}


def _compare_split(ctx: EvalContext, dataset: Dataset, best: RetrievalParams,
                   metrics: Sequence[str]) -> dict[str, dict[str, float]]:
    """Tuned vs default fusion vs each half, on one split."""
    setups = {"tuned": best, "default-params": RetrievalParams(),
              "lexical": RetrievalParams(mode="lexical"), "dense": RetrievalParams(mode="dense")}
    out = {}
    for name, params in setups.items():
        values = evaluate(dataset.qrels, ctx.run(params), metrics, query_ids=ctx.query_ids)
        out[name] = {m: mean(v) for m, v in values.items()}
    return out


def run_tuning(dataset_dir: Path, settings: Settings, *, split: str = "dev", folds: int = 1,
               seed: int = 0, save: bool = True, encoder: Encoder | None = None,
               metrics: Sequence[str] = ("ndcg@10", "mrr@10", "recall@100")) -> dict[str, Any]:
    """Tune on `split`, optionally cross-validate, save the winner; returns the tuning report."""
    started = time.perf_counter()
    dataset = load_dataset(dataset_dir, split)
    if folds < 1:
        raise ValidationError("应不小于 1（1 表示不做交叉验证）", field="folds")
    if folds > 1:  # checked before minutes of indexing, as cross_validate checks it
        _check_folds(folds, len(dataset.query_ids()))
    require_scored(dataset, dataset.query_ids())
    points = grid()
    ws = open_workspace(dataset, settings, encoder=encoder)
    try:
        ctx = build_context(ws, dataset, default_params=RetrievalParams(), k=100)
        ctx.max_depth = max(ctx.max_depth, *DEPTHS)
        log.info("scoring %d grid points on %d queries", len(points), len(ctx.query_ids))
        scores = score_points(ctx, dataset, points)
        best = points[choose(points, scores)]
        report: dict[str, Any] = {
            "dataset": dataset.name, "split": split, "queries": len(ctx.query_ids),
            "objective": OBJECTIVE, "grid_points": len(points), "best": best.model_dump(),
            "grid": [{**p.model_dump(), OBJECTIVE: float(scores[i].mean())}
                     for i, p in enumerate(points)],
            "splits": {split: _compare_split(ctx, dataset, best, metrics)}}
        if folds > 1:
            report["cross_validation"] = cross_validate(points, scores, folds=folds, seed=seed)
        if skipped_queries(dataset):
            report["skipped_queries"] = skipped_queries(dataset)
        others = [s for s in dataset.splits if s == "test" and s != split]
        for other in others:
            held = load_dataset(dataset_dir, other)
            test_ctx = build_context(ws, held, default_params=best, k=100)
            report["splits"][other] = _compare_split(test_ctx, held, best, metrics)
        if not others:
            report["note"] = (f"{dataset.name} 没有 test 划分：最优参数在 {split} 上的数值"
                              f"偏乐观" +
                              ("；留出估计见交叉验证（cross_validation）" if folds > 1
                               else "；加 --folds 2 可得到留出估计"))
    finally:
        ws.engine.close()
    if save:
        report["saved_to"] = str(settings.save_retrieval(best))
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report
