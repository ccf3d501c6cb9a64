"""Retrieval metrics by name, as evaluation uses them.

The implementation lives one layer down, in `techmatch.matcher.metrics`: the ranker chooses
its regularisation by out-of-fold MAP, and ranking must not import evaluation (DESIGN.md:
eval → matcher, never the other way). This module keeps evaluation's import path.
"""

from __future__ import annotations

from techmatch.matcher.metrics import (
    Metric,
    PerQuery,
    Run,
    evaluate,
    mean,
    parse_metric,
    parse_metrics,
    recall_curve,
)

__all__ = ["Metric", "PerQuery", "Run", "evaluate", "mean", "parse_metric", "parse_metrics",
           "recall_curve"]
