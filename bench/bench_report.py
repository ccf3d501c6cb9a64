"""Shared report helpers for the bench scripts (run as `python bench/<script>.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def fmt_load(load: Sequence[float]) -> str:
    """A load-average triple as `1.0/2.0/3.0`."""
    return "/".join(f"{x:.1f}" for x in load)


def write_report(out: Path, lines: list[str]) -> None:
    """Write the markdown report to `out` and echo it to stdout."""
    text = "\n".join(lines)
    out.write_text(text, encoding="utf-8")
    print(text)


def latencies(fn: Callable[[int], object], n: int) -> np.ndarray:
    """Milliseconds per call of fn(i) for i < n (after two warm-up calls)."""
    fn(0)
    fn(1)
    out = np.empty(n)
    for i in range(n):
        start = time.perf_counter_ns()
        fn(i)
        out[i] = (time.perf_counter_ns() - start) / 1e6
    return out
