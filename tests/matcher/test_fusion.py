"""Fusion: RRF and weighted sums against hand-computed values; order-independence properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.errors import ValidationError
from techmatch.indexers.base import Candidates
from techmatch.matcher.fusion import minmax, rrf, weighted, zscore


def _c(ids: list[str], scores: list[float]) -> Candidates:
    return Candidates(ids, np.array(scores, dtype=np.float32))


def test_rrf_matches_hand_computation() -> None:
    fused = rrf([_c(["a", "b", "c"], [3, 2, 1]), _c(["b", "d"], [0.9, 0.8])], k=60)
    expected = {"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 63, "d": 1 / 62}
    assert fused.ids == ["b", "a", "d", "c"]
    assert np.allclose(fused.scores, [expected[i] for i in fused.ids])


def test_weighted_minmax_hand_computation() -> None:
    fused = weighted([_c(["a", "b"], [10, 0]), _c(["b", "c"], [1.0, 0.5])], [0.5, 0.5])
    # a: .5*1 + 0 ; b: .5*0 + .5*1 ; c: 0 + .5*0  → a and b tie at .5, broken by id
    assert fused.ids == ["a", "b", "c"]
    assert np.allclose(fused.scores, [0.5, 0.5, 0.0])


def test_normalisers() -> None:
    assert np.allclose(minmax(np.array([2.0, 4.0, 6.0])), [0, 0.5, 1])
    assert np.allclose(zscore(np.array([1.0, 3.0])), [-1, 1])
    assert np.allclose(minmax(np.array([5.0, 5.0])), [1, 1])


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(ValidationError, match="rrf_k"):
        rrf([], k=0)
    with pytest.raises(ValidationError, match="normalization"):
        weighted([_c(["a"], [1])], [1.0], normalization="softmax")


_lists = st.lists(st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8),
                  min_size=1, max_size=4)


@settings(max_examples=500)
@given(_lists)
def test_rrf_is_independent_of_list_order(lists: list[list[str]]) -> None:
    cands = [_c(ids, list(range(len(ids), 0, -1))) for ids in lists]
    assert rrf(cands).ids == rrf(list(reversed(cands))).ids


@given(_lists)
def test_fused_scores_are_sorted_and_cover_every_id(lists: list[list[str]]) -> None:
    cands = [_c(ids, list(range(len(ids), 0, -1))) for ids in lists]
    for fused in (rrf(cands), weighted(cands, [1.0] * len(cands), normalization="zscore")):
        assert set(fused.ids) == {i for ids in lists for i in ids}
        assert all(np.diff(fused.scores) <= 1e-12)


@settings(max_examples=300)
@given(_lists, st.lists(st.floats(0.1, 1.0), min_size=4, max_size=4))
def test_weighted_is_independent_of_list_order(lists: list[list[str]],
                                               weights: list[float]) -> None:
    cands = [_c(ids, list(range(len(ids), 0, -1))) for ids in lists]
    w = weights[:len(cands)]
    forward = weighted(cands, w, normalization="zscore")
    backward = weighted(list(reversed(cands)), list(reversed(w)), normalization="zscore")
    assert forward.ids == backward.ids
