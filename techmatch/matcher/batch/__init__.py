"""Nightly batch matching: incremental, resumable, locked; results stored per need and exported."""

from __future__ import annotations

from techmatch.matcher.batch.export import export_results
from techmatch.matcher.batch.run import BatchOptions, BatchSummary, run_batch

__all__ = ["BatchOptions", "BatchSummary", "export_results", "run_batch"]
