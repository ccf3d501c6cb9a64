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
    with pytest.raises(ValidationError, match="calibration"):
        fit_calibrator(np.zeros(3), np.array([0, 1, 0]), method="beta")
    with pytest.raises(ValidationError, match="both"):
        fit_calibrator(np.zeros(3), np.zeros(3))
