"""Reciprocal rank fusion.

    score(d) = Σ_i  w_i / (k + rank_i(d))        (rank is 1-based; absent lists add nothing)

Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual Rank
Learning Methods", SIGIR 2009. k = 60 as in the paper.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from techmatch.errors import ValidationError
from techmatch.indexers.base import Candidates


def rrf(lists: Sequence[Candidates], *, k: int = 60,
        weights: Sequence[float] | None = None) -> Candidates:
    """Fuse ranked lists; ties are broken by id so the result is order-independent."""
    if k < 1:
        raise ValidationError("应不小于 1", field="rrf_k")
    weights = list(weights) if weights is not None else [1.0] * len(lists)
    if len(weights) != len(lists):
        raise ValidationError("one weight per list", field="weights")
    parts: dict[str, list[float]] = {}
    for weight, cands in zip(weights, lists, strict=True):
        for rank, rid in enumerate(cands.ids, start=1):
            parts.setdefault(rid, []).append(weight / (k + rank))
    # fsum is exactly rounded, so the score (and every tie) is the same in any list order
    order = sorted(((rid, math.fsum(p)) for rid, p in parts.items()),
                   key=lambda item: (-item[1], item[0]))
    return Candidates([rid for rid, _ in order],
                      np.array([s for _, s in order], dtype=np.float64))
