"""Coverage and demand-gap analytics over the batch results (per city × industry, topics)."""

from __future__ import annotations

from techmatch.matcher.analytics.coverage import CoverageReport, compute_coverage, coverage_report
from techmatch.matcher.analytics.report import write_report

__all__ = ["CoverageReport", "compute_coverage", "coverage_report", "write_report"]
