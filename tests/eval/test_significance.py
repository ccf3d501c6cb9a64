"""Paired randomisation and t-tests."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ttest_rel

from techmatch.errors import ValidationError
from techmatch.eval.significance import compare, paired_t_test, randomization_test


def test_identical_systems_give_p_one() -> None:
    a = [0.2, 0.5, 0.9]
    assert randomization_test(a, a) == 1.0
    assert paired_t_test(a, a) == 1.0


def test_consistent_improvement_is_significant_and_seeded() -> None:
    rng = np.random.default_rng(1)
    b = rng.uniform(0.3, 0.7, size=60)
    a = b + 0.05 + rng.normal(0, 0.01, size=60)
    p = randomization_test(a, b, trials=2000, seed=7)
    assert p == randomization_test(a, b, trials=2000, seed=7)
    assert p == pytest.approx(1 / 2001)  # no sign flip reaches the observed mean
    assert paired_t_test(a, b) == pytest.approx(ttest_rel(a, b).pvalue)
    assert paired_t_test(a, b) < 1e-10


def test_exact_small_case() -> None:
    # d = (1, 1): sign patterns give |mean| 1, 0, 0, 1 → half reach the observed 1
    p = randomization_test([1.0, 1.0], [0.0, 0.0], trials=20000, seed=0)
    assert p == pytest.approx(0.5, abs=0.02)


def test_compare_pairs_by_query_id() -> None:
    out = compare({"q2": 1.0, "q1": 0.0}, {"q1": 0.0, "q2": 0.5}, trials=100)
    assert out["delta"] == pytest.approx(0.25)
    with pytest.raises(ValidationError):
        compare({"q1": 1.0}, {"q1": 0.0, "q2": 0.5})
    with pytest.raises(ValidationError):
        randomization_test([1.0], [1.0, 2.0])
