"""Weighted fusion of normalised scores (CombSUM with min-max or z-score normalisation).

    score(d) = Σ_i  w_i · norm_i(s_i(d))        (absent from list i: norm_i's floor, 0 / min z)

Fox & Shaw, "Combination of Multiple Searches", TREC-2 (1994); min-max and z-score
normalisation as compared by Lee, "Analyses of Multiple Evidence Combination", SIGIR 1997.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from techmatch.errors import ValidationError
from techmatch.indexers.base import Candidates


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant list maps to all ones."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    return np.ones_like(scores) if hi - lo < 1e-12 else (scores - lo) / (hi - lo)


def zscore(scores: np.ndarray) -> np.ndarray:
    """Standardise to mean 0, std 1; a constant list maps to zeros."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    std = float(scores.std())
    return np.zeros_like(scores) if std < 1e-12 else (scores - scores.mean()) / std


_NORMALIZERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"minmax": minmax,
                                                               "zscore": zscore}


def weighted(lists: Sequence[Candidates], weights: Sequence[float], *,
             normalization: str = "minmax") -> Candidates:
    """Fuse by a weighted sum of per-list normalised scores; ties broken by id."""
    try:
        norm = _NORMALIZERS[normalization]
    except KeyError:
        raise ValidationError(f"unknown normalization {normalization!r}; valid: "
                              f"{', '.join(_NORMALIZERS)}", field="normalization") from None
    if len(weights) != len(lists):
        raise ValidationError("one weight per list", field="weights")
    normed = [norm(c.scores) for c in lists]
    floors = [float(n.min()) if n.size else 0.0 for n in normed]
    ids = sorted({rid for c in lists for rid in c.ids})
    parts: dict[str, list[float]] = {rid: [] for rid in ids}
    for weight, cands, values, floor in zip(weights, lists, normed, floors, strict=True):
        seen = dict(zip(cands.ids, values, strict=True))
        for rid in ids:
            parts[rid].append(weight * float(seen.get(rid, min(floor, 0.0))))
    # fsum is exactly rounded, so the score (and every tie) is the same in any list order
    total = {rid: math.fsum(p) for rid, p in parts.items()}
    order = sorted(total.items(), key=lambda item: (-item[1], item[0]))
    return Candidates([rid for rid, _ in order],
                      np.array([s for _, s in order], dtype=np.float64))
