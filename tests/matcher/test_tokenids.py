"""Token overlaps counted from token ids equal the set intersections, and the batch's joined
phrase search equals `phrase_coverage` (issue 19: the batch's feature table)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from techmatch.matcher.prf import phrase_coverage, shared_agreement, term_agreement
from techmatch.matcher.tablecols import phrase_covers
from techmatch.matcher.tokenids import TokenIds

WORDS = [f"w{i}" for i in range(40)] + ["锂电池", "隔膜", "回收", "battery"]


def _sets(rng: random.Random, n: int) -> list[frozenset[str]]:
    return [frozenset(rng.sample(WORDS, rng.randint(0, 12))) for _ in range(n)]


def test_overlaps_equal_set_intersections() -> None:
    rng = random.Random(7)
    ids = TokenIds()
    checked = 0
    for case in range(80):
        rows_sets = _sets(rng, rng.randint(1, 40))
        rows = [ids.row(f"text {case} {i}", s) for i, s in enumerate(rows_sets)]
        groups_sets = [frozenset(rng.sample(WORDS, rng.randint(0, 15))), frozenset(),
                       *rows_sets[:10]]
        groups_sets.append(frozenset({"never-in-a-row", *rng.sample(WORDS, 3)}))
        got = ids.overlaps(rows, [ids.ids(g) for g in groups_sets])
        want = np.array([[len(r & g) for g in groups_sets] for r in rows_sets])
        assert got.shape == want.shape and np.array_equal(got, want), case
        checked += int(want.sum() > 0)
    assert checked > 60  # most cases share tokens: the counts are compared, not zeros


def test_rows_are_remembered_by_text_and_trim_starts_afresh() -> None:
    ids = TokenIds(max_rows=2)
    first = ids.row("a", frozenset({"x", "y"}))
    assert ids.row("a", frozenset({"x", "y"})) is first
    for text in ("b", "c", "d"):
        ids.row(text, frozenset({text}))
    ids.trim()  # 4 rows > 2: ids and rows are forgotten
    row = ids.row("e", frozenset({"x", "z"}))
    assert sorted(row.tolist()) == [0, 1]
    assert ids.overlaps([row], [ids.ids(frozenset({"z", "q"}))]).tolist() == [[1]]


def test_too_many_groups_are_refused() -> None:
    ids = TokenIds()
    row = ids.row("a", frozenset({"x"}))
    with pytest.raises(ValueError, match="at most 16"):
        ids.overlaps([row], [ids.ids(frozenset({"x"}))] * 17)


def test_term_agreement_from_counted_overlaps_is_the_same_float() -> None:
    rng = random.Random(3)
    ids = TokenIds()
    for case in range(40):
        sets = _sets(rng, rng.randint(1, 30))
        scores = np.array([rng.uniform(0, 0.05) for _ in sets])
        rows = [ids.row(f"{case}/{i}", s) for i, s in enumerate(sets)]
        inter = ids.overlaps(rows, rows[:min(10, len(rows))])
        got = shared_agreement(np.ascontiguousarray(inter, dtype=np.float64),
                               np.array([len(s) for s in sets], dtype=np.float64), scores)
        assert np.array_equal(got, term_agreement(sets, scores)), case


@pytest.mark.parametrize("phrases, texts", [
    (["锂电池", "隔膜", "锂电池"], ["锂电池隔膜涂层", "隔膜", "", "电池", "锂电池 锂电池"]),
    (["battery", "sep"], ["a battery", "battery sep", "none"]),
    ([], ["锂电池"]),
    (["锂电池"], []),
    ([""], ["a", "", "b"]),
    (["a\x00b"], ["a\x00b", "ab"]),  # the separator itself: searched text by text
    (["x"], ["x\x00", "y"]),
    (["x"], ["x", "y"] * 40),  # more texts than one mask holds
])
def test_phrase_covers_equal_phrase_coverage(phrases: list[str], texts: list[str]) -> None:
    got, want = phrase_covers(phrases, texts), phrase_coverage(phrases, texts)
    assert got.shape == want.shape and np.array_equal(got, want)


def test_phrase_covers_on_random_texts() -> None:
    rng = random.Random(11)
    for _ in range(50):
        texts = ["".join(rng.choices("锂电池隔膜ab ", k=rng.randint(0, 30)))
                 for _ in range(rng.randint(1, 64))]
        phrases = ["".join(rng.choices("锂电池隔膜ab", k=rng.randint(1, 3)))
                   for _ in range(rng.randint(1, 8))]
        assert np.array_equal(phrase_covers(phrases, texts), phrase_coverage(phrases, texts))
