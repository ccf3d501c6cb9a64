"""Calibration: Platt and isotonic are monotone; reliability table and ECE by hand."""

from __future__ import annotations

import numpy as np
import pytest

from techmatch.errors import ValidationError
from techmatch.matcher.calibrate import Calibrator, fit_calibrator, reliability


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=4000)
    labels = (rng.random(4000) < 1 / (1 + np.exp(-2 * scores))).astype(int)
    return scores, labels


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_fitted_calibrators_are_monotone_and_calibrated(method: str) -> None:
    scores, labels = _data()
    cal = fit_calibrator(scores, labels, method=method)
    grid = np.linspace(-4, 4, 101)
    probs = cal.apply(grid)
    assert np.all(np.diff(probs) >= -1e-12) and probs.min() >= 0 and probs.max() <= 1
    test_scores, test_labels = _data(seed=1)
    assert reliability(cal.apply(test_scores), test_labels).ece < 0.05
    assert Calibrator.model_validate_json(cal.model_dump_json()).apply(grid) == \
        pytest.approx(probs)


def test_platt_recovers_the_generating_slope() -> None:
    cal = fit_calibrator(*_data(), method="platt")
    assert cal.a == pytest.approx(2.0, abs=0.25) and cal.b == pytest.approx(0.0, abs=0.2)


def test_reliability_by_hand() -> None:
    conf = np.array([0.05, 0.05, 0.95, 0.95, 0.55])
    labels = np.array([0, 1, 1, 1, 0])
    rel = reliability(conf, labels)
    assert rel.bins[0].count == 2 and rel.bins[0].precision == pytest.approx(0.5)
    assert rel.bins[9].confidence == pytest.approx(0.95) and rel.bins[9].precision == 1.0
    # (2·|0.5−0.05| + 2·|1−0.95| + 1·|0−0.55|) / 5
    assert rel.ece == pytest.approx((0.9 + 0.1 + 0.55) / 5)
    assert "ECE" in rel.table()


def test_bad_inputs() -> None:
    """train-ranker --calibration beta said "unknown calibration 'beta'; valid: platt,
    isotonic"; labels of one class "calibration needs both relevant and non-relevant pairs"."""
    with pytest.raises(ValidationError) as method:
        fit_calibrator(np.zeros(3), np.array([0, 1, 0]), method="beta")
    assert str(method.value) == "字段 calibration：未知校准方法 beta（可选：platt、isotonic）"
    with pytest.raises(ValidationError) as one_class:
        fit_calibrator(np.zeros(3), np.zeros(3))
    assert str(one_class.value) == "字段 labels：校准需要同时有相关和不相关的样本对"


# --- debiased calibration error and the ECE's bootstrap interval (issue 13): the plain ECE
# of a calibrated model on 71 top hits is about 0.11, so "ECE ≤ 0.05" could not be read there


def _draws(shift: float, n: int = 71, trials: int = 200) -> tuple[float, float, float, float]:
    """Mean plain ECE, floor, mean and median debiased error of `trials` label draws
    y ~ Bernoulli(confidence − shift) for fixed uniform confidences."""
    from techmatch.matcher.calibrate import debiased_ce, ece_floor

    rng = np.random.default_rng(7)
    conf = rng.uniform(size=n)
    plain, debiased = [], []
    for _ in range(trials):
        labels = rng.uniform(size=n) < np.clip(conf - shift, 0.0, 1.0)
        plain.append(reliability(conf, labels).ece)
        debiased.append(debiased_ce(conf, labels))
    return (float(np.mean(plain)), ece_floor(conf), float(np.mean(debiased)),
            float(np.median(debiased)))


def test_debiased_error_is_about_zero_for_a_calibrated_model_on_few_pairs() -> None:
    plain, floor, debiased, median = _draws(0.0)
    assert floor > 0.09 and plain == pytest.approx(floor, abs=0.01)
    assert median < 0.01 and debiased < 0.06  # the plain ECE: 0.11


def test_both_errors_are_large_for_a_miscalibrated_model() -> None:
    plain, floor, debiased, _ = _draws(0.25)  # over-confident by 0.25 (less near 0)
    assert plain > floor + 0.08 and debiased > 0.18


def test_debiased_error_by_hand() -> None:
    from techmatch.matcher.calibrate import debiased_ce

    # bin [0.1, 0.2): 4 pairs at 0.15, ȳ 0.25: 0.1² − 0.25·0.75/3 = −0.0525
    # bin [0.9, 1.0]: 5 pairs at 0.9, ȳ 0.4: 0.5² − 0.4·0.6/4 = 0.19
    conf = np.array([0.15] * 4 + [0.9] * 5)
    labels = np.array([1, 0, 0, 0, 1, 1, 0, 0, 0])
    assert reliability(conf, labels).ece == pytest.approx((4 * 0.1 + 5 * 0.5) / 9)
    assert debiased_ce(conf, labels) == pytest.approx(np.sqrt((4 * -0.0525 + 5 * 0.19) / 9))
    # a bin of one pair has no variance estimate and adds 0 (its weight still counts)
    assert debiased_ce(np.append(conf, 0.55), np.append(labels, 1)) == \
        pytest.approx(np.sqrt((4 * -0.0525 + 5 * 0.19) / 10))
    # a negative sum is clipped to 0
    assert debiased_ce(conf[:4], labels[:4]) == 0.0
    assert debiased_ce(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValidationError, match="labels"):
        debiased_ce(conf, labels[:3])


def test_ece_interval_resamples_groups_seeded() -> None:
    from techmatch.matcher.calibrate import ece_interval

    conf = np.array([0.15] * 4 + [0.9] * 5)
    labels = np.array([1, 0, 0, 0, 1, 1, 0, 0, 0])
    ece = reliability(conf, labels).ece
    low, high = ece_interval(conf, labels)
    assert low < ece < high and (low, high) == ece_interval(conf, labels)  # seeded
    assert ece_interval(conf, labels, seed=1) != (low, high)
    # one group: every resample is the whole sample, so the interval is the ECE itself
    one = ece_interval(conf, labels, np.zeros(9, dtype=int))
    assert one == pytest.approx((ece, ece))
    # two groups (the low bin, the high bin): three distinct resamples, ECE 0.1, 0.5 or 0.3222
    low2, high2 = ece_interval(conf, labels, np.array([0] * 4 + [1] * 5), trials=400)
    assert low2 == pytest.approx(0.1) and high2 == pytest.approx(0.5)
    with pytest.raises(ValidationError, match="groups"):
        ece_interval(conf, labels, np.zeros(3))
    with pytest.raises(ValidationError, match="level"):
        ece_interval(conf, labels, level=90)
