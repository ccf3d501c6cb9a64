"""Rank fusion of candidate lists: reciprocal rank fusion and normalised weighted sums."""

from techmatch.matcher.fusion.rrf import rrf
from techmatch.matcher.fusion.weighted import minmax, weighted, zscore

__all__ = ["minmax", "rrf", "weighted", "zscore"]
