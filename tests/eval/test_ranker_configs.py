"""Which model each ranker configuration of `techmatch eval` ranks with."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from techmatch.errors import ValidationError
from techmatch.eval.configs import RANKER_MODELS, EvalContext, model_label
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.shipped import shipped_model


def _context(encoder_id: str, model_home=None) -> EvalContext:
    engine = SimpleNamespace(encoder=SimpleNamespace(id=encoder_id))
    return EvalContext(retriever=None, query_ids=[], texts=[], engine=engine,  # type: ignore[arg-type]
                       model_home=model_home)


def _weights(model: RankerModel) -> dict:
    return model.model_dump(include={"models"})


def test_ranker_default_is_what_a_new_home_ranks_with():
    shipped = shipped_model()
    assert shipped is not None, "the package ships a ranker model"
    encoder = str(shipped.trained_on["encoder"])
    ctx = _context(encoder)
    model = ctx.ranker_model("ranker-default")
    assert _weights(model) == _weights(shipped)
    assert _weights(model) != _weights(RankerModel())
    assert model_label(model).startswith("fitted on datasets ")


def test_ranker_default_falls_back_to_the_untrained_weights_for_another_encoder():
    model = _context("hash-384").ranker_model("ranker-default")
    assert _weights(model) == _weights(RankerModel())
    assert model_label(model) == "untrained default weights"


def test_ranker_untrained_ignores_the_shipped_model(tmp_path):
    shipped = shipped_model()
    assert shipped is not None
    model = _context(str(shipped.trained_on["encoder"])).ranker_model("ranker-untrained")
    assert _weights(model) == _weights(RankerModel())


def test_ranker_needs_a_saved_model(tmp_path):
    with pytest.raises(ValidationError, match="没有训练好的排序模型"):
        _context("hash-384", model_home=tmp_path).ranker_model("ranker")
    assert set(RANKER_MODELS) == {"ranker", "ranker-default", "ranker-untrained"}
