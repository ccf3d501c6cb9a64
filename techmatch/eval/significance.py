"""Paired significance tests over per-query metric values of two configurations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from techmatch.errors import ValidationError


def _paired(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> np.ndarray:
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValidationError(f"paired samples must be two equal-length vectors, got "
                              f"{x.shape} and {y.shape}", field="per_query")
    return x - y


def randomization_test(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *,
                       trials: int = 10_000, seed: int = 0) -> float:
    """Two-sided paired randomisation (permutation) test of mean(a − b) = 0.

        d_q = a_q − b_q;  T = |mean(d)|;  for each trial t draw signs s_q ∈ {−1, +1}:
        T_t = |mean(s · d)|;  p = (1 + #{t : T_t ≥ T}) / (1 + trials)

    Under the null hypothesis the two systems are exchangeable per query, so each difference's
    sign is arbitrary. Fisher (1935); recommended for IR by Smucker, Allan & Carterette,
    "A Comparison of Statistical Significance Tests for Information Retrieval Evaluation",
    CIKM 2007. Deterministic for a given `seed`.
    """
    d = _paired(a, b)
    if trials < 1:
        raise ValidationError("应不小于 1", field="trials")
    if d.size == 0 or not np.any(d):
        return 1.0
    observed = abs(float(d.mean())) - 1e-12  # tolerance: float noise must not break ties
    rng = np.random.default_rng(seed)
    hits = 0
    chunk = max(1, min(trials, 2_000_000 // max(d.size, 1)))
    done = 0
    while done < trials:
        n = min(chunk, trials - done)
        signs = rng.integers(0, 2, size=(n, d.size), dtype=np.int8) * 2 - 1
        hits += int(np.count_nonzero(np.abs(signs @ d) / d.size >= observed))
        done += n
    return (1 + hits) / (1 + trials)


def paired_t_test(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Two-sided paired Student t-test of mean(a − b) = 0 (`scipy.stats.ttest_rel`).

        d_q = a_q − b_q;  t = mean(d) / (sd(d) / √n),  n − 1 degrees of freedom

    Student (1908); its use for IR is discussed by Sanderson & Zobel, "Information Retrieval
    System Evaluation: Effort, Sensitivity, and Reliability", SIGIR 2005. Identical samples
    (every d_q = 0) give p = 1.
    """
    from scipy.stats import ttest_rel

    d = _paired(a, b)
    if d.size < 2 or not np.any(d):
        return 1.0
    p = float(ttest_rel(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)).pvalue)
    return 1.0 if np.isnan(p) else p


def compare(per_query: Mapping[str, float], baseline: Mapping[str, float], *,
            trials: int = 10_000, seed: int = 0) -> dict[str, float]:
    """Delta of means and both p-values for one metric, paired on the baseline's query ids."""
    qids = sorted(baseline)
    missing = [q for q in qids if q not in per_query]
    if missing:
        raise ValidationError(f"{len(missing)} queries have no value, e.g. {missing[:3]}",
                              field="per_query")
    a = np.array([per_query[q] for q in qids], dtype=np.float64)
    b = np.array([baseline[q] for q in qids], dtype=np.float64)
    return {"delta": float(a.mean() - b.mean()) if qids else 0.0,
            "p_randomization": randomization_test(a, b, trials=trials, seed=seed),
            "p_ttest": paired_t_test(a, b)}
