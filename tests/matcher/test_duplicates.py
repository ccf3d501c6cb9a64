"""Near duplicates: cosine and Jaccard thresholds, block processing, marking in rankings."""

from __future__ import annotations

import numpy as np
import pytest

from techmatch.errors import ValidationError
from techmatch.matcher import duplicates as dup
from techmatch.matcher.duplicates import find_duplicates, mark_duplicates
from techmatch.models.results import Hit


def _unit(rows: list[list[float]]) -> np.ndarray:
    arr = np.array(rows, dtype=np.float32)
    return arr / np.linalg.norm(arr, axis=1, keepdims=True)


VECS = _unit([[1, 0, 0], [0.99, 0.05, 0], [0, 1, 0], [0, 0.9, 0.6]])
IDS = ["d", "c", "b", "a"]
TOKENS = {"d": frozenset("xyz"), "c": frozenset("xyz"), "b": frozenset("pq"),
          "a": frozenset("pqr")}


def test_cosine_pairs_found_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dup, "BLOCK", 1)
    pairs = find_duplicates(IDS, VECS, threshold=0.95)
    assert [(p.a, p.b) for p in pairs] == [("c", "d")]


def test_jaccard_either_or_both() -> None:
    either = find_duplicates(IDS, VECS, threshold=0.95, tokens=TOKENS.__getitem__,
                             jaccard_threshold=0.6)
    assert [(p.a, p.b) for p in either] == [("c", "d"), ("a", "b")]
    both = find_duplicates(IDS, VECS, threshold=0.95, tokens=TOKENS.__getitem__,
                           jaccard_threshold=0.6, require_both=True)
    assert [(p.a, p.b) for p in both] == [("c", "d")]
    with pytest.raises(ValidationError, match="threshold"):
        find_duplicates(IDS, VECS, threshold=1.5)


def test_mark_duplicates_points_to_the_first_higher_hit() -> None:
    hits = [Hit(id=i, kind="achievement", score=1.0, rank=r) for r, i in enumerate(IDS, 1)]
    vecs = np.vstack([VECS[:2], np.zeros((1, 3)), VECS[1:2]])
    mark_duplicates(hits, vecs)
    assert [h.duplicate_of for h in hits] == [None, "d", None, "d"]
