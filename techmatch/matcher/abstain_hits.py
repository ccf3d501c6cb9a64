"""Confidence of the hits below the top one: P(the hit at rank r is relevant).

The abstention model (techmatch.matcher.abstain) gives P, the probability that a need's top hit
is a good match. The hits below it used to get P · c_r / c_1 (c: the ranker's confidence),
which assumes the ranker's confidence ratios are calibrated; on the dev sets they were not
(ECE of the top-10 hits 0.14 for achievements, 0.21 for experts). A `HitModel` is a logistic
regression, fitted on held-out-able dev data, of the relevance of the hit at rank r ≥ 2 on:

- logit(P): how answerable the need is;
- log(r): how deep the hit is in the product's own ranking;
- for each of `columns` (absolute ranker features such as the dense cosine or the key-term
  coverage), the hit's value and its gap to the top hit's value.

The inputs are absolute (no ranker confidence), so the model does not depend on the ranker's
scale; the ranking itself is the product's. A near-duplicate of a higher hit (the ranking's
`duplicate_of`, cosine ≥ the service's duplicate threshold) takes that hit's confidence: the
dev sets' judgments rarely cover a second copy of the same work, so the model would call it
unlikely. Confidences are then made non-increasing down the ranking (a hit never shows more
confidence than the one above it) by isotonic regression of the hits below the top (pool
adjacent violators: a run that rises is replaced by its mean), capped by the top hit's P. A
running minimum did the same job with a bias: one low estimate pulled every hit below it
down, so deep hits showed a third of their measured precision (csl-expert-dev, held-out
halves: top-10 ECE 0.082 with the running minimum, 0.032 with the isotonic fit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from pydantic import BaseModel

from techmatch.errors import ValidationError

HIT_RANKS = 10  # ranks 2..HIT_RANKS are fitted (what staff see and what ECE@10 scores)
# absolute ranker features read per target kind (techmatch.matcher.features)
HIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "achievement": ("dense", "term_coverage"),
    "expert": ("work_dense_max", "work_dense_mean", "work_votes", "work_field"),
}
_EPS = 1e-4


def hit_inputs(answerable: float, values: np.ndarray) -> np.ndarray:
    """(n, 2 + 2·m) model inputs of the hits of one need, best-ranked first: `values` (n, m)
    holds the hits' `columns`; row 0 is the top hit."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    n = len(values)
    if n == 0:
        return np.zeros((0, 2 + 2 * values.shape[1]))
    p = min(max(float(answerable), _EPS), 1.0 - _EPS)
    logit = np.full((n, 1), np.log(p / (1.0 - p)))
    rank = np.log(np.arange(1, n + 1, dtype=np.float64)).reshape(-1, 1)
    return np.hstack([logit, rank, values, values[0] - values])


class HitModel(BaseModel):
    """P(hit at rank r ≥ 2 relevant) = σ(intercept + Σ w · (x − mean) / std), x from
    `hit_inputs` over the ranker feature `columns`."""

    columns: list[str]
    mean: list[float]
    std: list[float]
    weights: list[float]
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        z = (x - np.asarray(self.mean)) / np.asarray(self.std)
        return 1.0 / (1.0 + np.exp(-(self.intercept + z @ np.asarray(self.weights))))

    def confidences(self, answerable: float, values: np.ndarray,
                    duplicate_of: Sequence[int | None] = ()) -> np.ndarray:
        """(n,) confidences of one need's hits, best-ranked first: the top hit gets
        `answerable`, the others the model's probability, non-increasing down the ranking.
        `duplicate_of[j]` = i < j: hit j is a near-duplicate of hit i (same content, so as
        relevant: it gets hit i's confidence, capped by the hit above it)."""
        values = np.atleast_2d(np.asarray(values, dtype=np.float64))
        if not len(values):
            return np.zeros(0)
        out = np.clip(self.probability(hit_inputs(answerable, values)), 0.0, 1.0)
        out[0] = min(max(float(answerable), 0.0), 1.0)
        out[1:] = np.minimum(non_increasing(out[1:]), out[0])
        for j, i in enumerate(duplicate_of):
            if i is not None and i < j < len(out):
                out[j] = max(out[j], out[i])
        return np.minimum.accumulate(out)  # a lifted duplicate stays below the hit above it


def non_increasing(values: np.ndarray) -> np.ndarray:
    """The least-squares non-increasing sequence closest to `values` (isotonic regression by
    pool adjacent violators, equal weights): each rising run is replaced by its mean, so the
    values' sum is kept."""
    sums: list[float] = []
    counts: list[int] = []
    for v in np.asarray(values, dtype=np.float64).tolist():
        sums.append(v)
        counts.append(1)
        while len(sums) > 1 and sums[-2] * counts[-1] < sums[-1] * counts[-2]:
            total, count = sums.pop(), counts.pop()
            sums[-1] += total
            counts[-1] += count
    return np.repeat(np.array([t / n for t, n in zip(sums, counts, strict=True)]),
                     counts).astype(np.float64)


def fit_hits(x: np.ndarray, y: np.ndarray, columns: Sequence[str], *, c: float = 1.0,
             seed: int = 0, weight: np.ndarray | None = None) -> HitModel:
    """Logistic regression of 0/1 relevance `y` (n,) on `hit_inputs` rows `x` of hits at
    ranks ≥ 2 (not class-weighted: its output is a probability); `weight` (n,): each row's
    share of the population the probability is meant for (default 1)."""
    fit = fit_logistic(x, y, c=c, seed=seed, weight=weight,
                       one_class="hit calibration needs relevant and non-relevant hits")
    return HitModel(columns=list(columns), mean=fit.mean, std=fit.std, weights=fit.weights,
                    intercept=fit.intercept)


class LogisticFit(NamedTuple):
    mean: list[float]
    std: list[float]
    weights: list[float]
    intercept: float


def fit_logistic(x: np.ndarray, y: np.ndarray, *, c: float, seed: int,
                 one_class: str, weight: np.ndarray | None = None) -> LogisticFit:
    """Logistic regression of 0/1 `y` on standardised `x` (not class-weighted: its output is
    a probability): mean, std, weights and intercept, as the models store them. `one_class`
    is the error message when `y` holds a single class. `weight` (n,), optional: sample
    weights, so the probability is calibrated for a population whose groups come in other
    proportions than the fitting rows (for example fewer needs without any answer)."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if len(set(y.tolist())) < 2:
        raise ValidationError(one_class, field="labels")
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 1e-6, std, 1.0)
    lr = LogisticRegression(C=c, random_state=seed, max_iter=5000)
    if weight is not None and len(weight) != len(y):
        raise ValidationError(f"{len(weight)} weights for {len(y)} rows", field="weight")
    lr.fit((x - mean) / std, y, sample_weight=weight)
    return LogisticFit(mean.tolist(), std.tolist(), [float(w) for w in lr.coef_[0]],
                       float(lr.intercept_[0]))


__all__ = ["HIT_COLUMNS", "HIT_RANKS", "HitModel", "fit_hits", "hit_inputs", "non_increasing"]
