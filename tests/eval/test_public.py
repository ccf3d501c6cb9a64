"""`techmatch.eval` exports exactly what `__all__` lists."""

from __future__ import annotations

import techmatch.eval as ev


def test_all_names_resolve_and_are_sorted() -> None:
    assert all(hasattr(ev, name) for name in ev.__all__)
    assert list(ev.__all__) == sorted(ev.__all__)
    assert "run_evaluation" in ev.__all__ and "export_feedback" in ev.__all__
