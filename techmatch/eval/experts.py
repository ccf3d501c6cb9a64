"""Need→expert evaluation: rank experts by affinity computed from the ranking of their works.

For a query q and an expert e with works W(e), let s_q(w) be w's score in the hybrid
achievement ranking of q (0 when w is not retrieved) and s_1 ≥ s_2 ≥ … the sorted scores:

    works(e) = ½ · s_1 + ½ · mean(s_1 … s_min(3,|W|))           (max and mean of top-3)
    affinity(e) = (1 − β) · works(e) / max_e' works(e') + β · minmax_e(cos(q, profile(e)))

with β = `PROFILE_WEIGHT` when profiles exist, else 0. Max and top-k mean of per-paper scores
are the aggregations used by reviewer-assignment systems (Mimno & McCallum, KDD 2007;
Charlin & Zemel, "The Toronto Paper Matching System", 2013). Ties are broken by expert id.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from techmatch.config import RetrievalParams
from techmatch.eval.configs import EvalContext, Run
from techmatch.eval.datasets import ExpertEntry
from techmatch.indexers.ingest.normalize import normalize

TOP_WORKS = 3
PROFILE_WEIGHT = 0.2


def works_affinity(scores: Sequence[float], *, top: int = TOP_WORKS) -> float:
    """½ max + ½ mean of the top-`top` work scores (absent works score 0)."""
    if not len(scores):
        return 0.0
    ordered = sorted((float(s) for s in scores), reverse=True)[:top]
    return 0.5 * ordered[0] + 0.5 * float(np.mean(ordered))


def _minmax(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    return np.zeros_like(values) if hi - lo < 1e-12 else (values - lo) / (hi - lo)


def _profile_similarity(ctx: EvalContext, experts: Sequence[ExpertEntry]) -> np.ndarray | None:
    """(queries, experts) cosine of query and profile vectors; None when no profile exists."""
    if not any(e.profile.strip() for e in experts):
        return None
    texts = [normalize(e.profile, lower=False) for e in experts]
    with_profile = np.array([bool(t.strip()) for t in texts])
    vectors = ctx.retriever.encoder.encode_passages([t or " " for t in texts])
    sims = ctx.query_vectors() @ vectors.T
    sims[:, ~with_profile] = 0.0
    return sims


def _positive_scores(ids: Sequence[str], scores: np.ndarray) -> dict[str, float]:
    """Retrieved works must outscore absent ones (0): shift lists with negative scores (z-score)."""
    values = np.asarray(scores, dtype=np.float64)
    if values.size and float(values.min()) <= 0.0:
        values = values - float(values.min()) + 1e-9
    return dict(zip(ids, (float(v) for v in values), strict=True))


def rank_experts(ctx: EvalContext, experts: Sequence[ExpertEntry],
                 params: RetrievalParams) -> Run:
    """Every expert ranked per query by affinity (see module docstring)."""
    fused = ctx.fused(params)
    profile = _profile_similarity(ctx, experts)
    beta = PROFILE_WEIGHT if profile is not None else 0.0
    ids = [e.id for e in experts]
    run: Run = {}
    for qi, qid in enumerate(ctx.query_ids):
        score_of = _positive_scores(fused[qi].ids, fused[qi].scores)
        works = np.array([works_affinity([score_of.get(w, 0.0) for w in e.works])
                          for e in experts], dtype=np.float64)
        top = float(works.max()) if works.size else 0.0
        total = (1 - beta) * (works / top if top > 0 else works)
        if profile is not None:
            total = total + beta * _minmax(profile[qi])
        order = sorted(range(len(ids)), key=lambda i: (-total[i], ids[i]))
        run[qid] = [ids[i] for i in order]
    return run
