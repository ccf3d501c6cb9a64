"""Shared report helpers for the bench scripts (run as `python bench/<script>.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def fmt_load(load: Sequence[float]) -> str:
    """A load-average triple as `1.0/2.0/3.0`."""
    return "/".join(f"{x:.1f}" for x in load)


def write_report(out: Path, lines: list[str]) -> None:
    """Write the markdown report to `out` and echo it to stdout."""
    text = "\n".join(lines)
    out.write_text(text, encoding="utf-8")
    print(text)
