"""The held-out check of the abstention models on synthetic rows (no index needed)."""

from __future__ import annotations

import numpy as np
import pytest

from techmatch.errors import ValidationError
from techmatch.eval.abstain_check import check
from techmatch.eval.abstain_fit import Rows
from techmatch.matcher.abstain import EVIDENCE, AbstainModel
from techmatch.matcher.abstain_hits import HitModel


def _model() -> AbstainModel:
    # P = σ(4 · top_dense); hits below the top: σ(logit P) = P, so hit confidences equal P
    n = len(EVIDENCE)
    hits = HitModel(columns=["dense"], mean=[0.0] * 4, std=[1.0] * 4,
                    weights=[1.0, 0.0, 0.0, 0.0], intercept=0.0)
    return AbstainModel(kind="achievement", encoder="enc", features=list(EVIDENCE),
                        mean=[0.0] * n, std=[1.0] * n, weights=[4.0] + [0.0] * (n - 1),
                        intercept=0.0, hits=hits)


def test_check_reports_auroc_routing_and_ece_of_every_and_answerable_need() -> None:
    rows = Rows()
    for top_dense, labels in ((1.0, [1, 1]), (0.8, [1, 0]), (-1.0, [0, 0])):
        ev = np.zeros(len(EVIDENCE))
        ev[0] = top_dense
        rows.evidence.append(ev)
        rows.good.append(labels[0])
        rows.values.append(np.array([[0.9], [0.8]]))
        rows.labels.append(np.array(labels))
    out = check(_model(), rows, np.array([True, True, False]), threshold=0.35)
    p = 1 / (1 + np.exp(-4 * np.array([1.0, 0.8, -1.0])))
    assert out["auroc"] == 1.0 and out["routed_unanswerable"] == 1.0
    assert out["routed_answerable"] == 0.0
    assert out["needs"] == 3 and out["answerable"] == 2
    # ECE over 10 equal-width bins: each need's confidences sit in one bin
    expect_top1 = (abs(p[0] - 1) + abs(p[1] - 1) + abs(p[2] - 0)) / 3
    assert out["ece_top1"] == pytest.approx(expect_top1, abs=1e-4)
    assert out["ece_top1_answerable"] == pytest.approx((2 - p[0] - p[1]) / 2, abs=1e-4)
    with pytest.raises(ValidationError):
        check(_model(), rows, np.array([True]), threshold=0.35)
