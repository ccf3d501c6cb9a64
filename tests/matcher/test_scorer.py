"""Ranker models: defaults for every kind, versioned save / load, refusal of foreign files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from techmatch.errors import ConfigError
from techmatch.matcher.calibrate import Calibrator
from techmatch.matcher.features import FEATURES
from techmatch.matcher.scorer import (
    LinearModel,
    RankerModel,
    default_model,
    load_current,
    save_model,
)


@pytest.mark.parametrize("kind", sorted(FEATURES))
def test_default_model_scores_every_feature(kind: str) -> None:
    model = default_model(kind)
    names = FEATURES[kind]
    values = np.ones((2, len(names)))
    assert model.score(values, names) == pytest.approx([sum(model.weights) + model.intercept] * 2)
    conf = model.confidence(np.array([-1.0, 0.0, 1.0]))
    assert not model.calibrated and np.all(np.diff(conf) > 0) and conf[1] == pytest.approx(0.5)


def test_versions_and_pointer(tmp_path: Path) -> None:
    assert load_current(tmp_path) is None
    lm = LinearModel(kind="achievement", features=["dense", "fused"], weights=[1.0, 2.0],
                     intercept=-1.0, calibrator=Calibrator(method="platt", a=2.0))
    first = save_model(RankerModel(models={"achievement": lm}), tmp_path)
    second = save_model(RankerModel(models={"achievement": lm}), tmp_path)
    assert (first.name, second.name) == ("ranker-v1.json", "ranker-v2.json")
    loaded = load_current(tmp_path)
    assert loaded is not None and loaded.version == 2
    names = ("fused", "dense", "region")
    assert loaded.for_kind("achievement").score(np.array([[1.0, 0.5, 1.0]]), names)[0] == \
        pytest.approx(-1.0 + 0.5 + 2.0)
    assert loaded.for_kind("expert").features == list(FEATURES["expert"])  # default


def test_foreign_feature_names_are_refused(tmp_path: Path) -> None:
    lm = LinearModel(kind="achievement", features=["shoe_size"], weights=[1.0])
    save_model(RankerModel(models={"achievement": lm}), tmp_path)
    with pytest.raises(ConfigError, match="shoe_size"):
        load_current(tmp_path)
    (tmp_path / "models" / "ranker-current.json").write_text(json.dumps({"v": 1}))
    with pytest.raises(ConfigError, match="pointer"):
        load_current(tmp_path)
