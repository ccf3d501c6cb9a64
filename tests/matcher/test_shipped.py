"""The shipped ranker model: what a home ranks with, and adapting it without forgetting it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEncoder, make_engine

from techmatch.errors import ConfigError
from techmatch.matcher import shipped
from techmatch.matcher.features import FEATURES
from techmatch.matcher.scorer import LinearModel, RankerModel, save_model
from techmatch.matcher.train import PairRows, TrainOptions, blend, fit_rows


def _model(weight: float, source: str, encoder: str = "enc-a") -> RankerModel:
    names = list(FEATURES["achievement"])
    lm = LinearModel(kind="achievement", features=names, weights=[weight] * len(names),
                     intercept=-weight)
    return RankerModel(models={"achievement": lm},
                       trained_on={"source": source, "encoder": encoder})


@pytest.fixture
def fake_shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ranker-default.json"
    path.write_text(_model(0.5, "dev sets").model_dump_json(), encoding="utf-8")
    monkeypatch.setattr(shipped, "shipped_path", lambda: path)
    shipped._read.cache_clear()
    yield path
    shipped._read.cache_clear()


def test_home_model_then_shipped_with_its_encoder_then_defaults(
        fake_shipped: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert shipped.active_model(home, "enc-a").trained_on["source"] == "dev sets"
    assert shipped.active_model(home, "enc-b").models == {}  # other encoder: defaults
    save_model(_model(2.0, "feedback"), home)
    assert shipped.active_model(home, "enc-a").trained_on["source"] == "feedback"
    copy = shipped.shipped_model("enc-a")
    assert copy is not None
    copy.models["achievement"].weights[0] = 99.0  # a copy: the cached model is untouched
    assert shipped.shipped_model("enc-a").models["achievement"].weights[0] == 0.5


def test_a_new_home_ranks_with_the_shipped_model_until_it_trains_its_own(
        fake_shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_shipped.write_text(_model(0.5, "dev sets", encoder=FakeEncoder.id).model_dump_json(),
                            encoding="utf-8")
    shipped._read.cache_clear()
    from techmatch.matcher.service import MatchService

    engine = make_engine(tmp_path / "new")
    service = MatchService(engine)
    assert service.model.trained_on["source"] == "dev sets"
    save_model(_model(2.0, "feedback", encoder=FakeEncoder.id), engine.settings.home)
    service.refresh_model()
    assert service.model.trained_on["source"] == "feedback"


def test_corrupt_shipped_model_is_a_clear_error(fake_shipped: Path) -> None:
    fake_shipped.write_text("{not json", encoding="utf-8")
    shipped._read.cache_clear()
    with pytest.raises(ConfigError, match="shipped ranker model"):
        shipped.shipped_model()


def test_the_package_ships_a_model_that_fits_this_version() -> None:
    shipped._read.cache_clear()
    model = shipped.shipped_model()
    assert model is not None, "techmatch/resources/ranker-default.json is missing"
    lm = model.models["achievement"]
    # a model may lack features added after it was fitted (they count 0), never know others
    assert set(lm.features) <= set(FEATURES["achievement"]) and lm.calibrated
    assert "hybrid_mm" in lm.features
    assert model.trained_on["encoder"] == "e5-small-q4@torch"
    assert "csl-kw-dev" in str(model.trained_on["source"])
    assert shipped.shipped_model("another-encoder") is None


def test_blend_mixes_scores_linearly() -> None:
    own = LinearModel(kind="achievement", features=["a", "b"], weights=[2.0, 0.0], intercept=1.0)
    prior = LinearModel(kind="achievement", features=["b"], weights=[4.0], intercept=-1.0)
    mixed = blend(own, prior, 0.25)
    assert mixed.features == ["a", "b"] and mixed.weights == pytest.approx([0.5, 3.0])
    assert mixed.intercept == pytest.approx(-0.5)
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    assert mixed.score(x, ("a", "b")) == pytest.approx(
        0.25 * own.score(x, ("a", "b")) + 0.75 * (prior.score(x[:, 1:], ("b",))))


def test_prior_keeps_the_fit_near_the_base_model_in_proportion_to_its_queries() -> None:
    rng = np.random.default_rng(0)
    names = ("a", "b")
    rows = PairRows(names=names)
    qids = [f"q{i}" for i in range(30)]
    for q in qids:
        x = rng.normal(size=(6, 2))
        rows.x.append(x)
        rows.y.append((x[:, 0] > 0.3).astype(int))
        rows.groups += [q] * 6
    prior = LinearModel(kind="achievement", features=["a", "b"], weights=[0.0, 3.0],
                        intercept=0.0)
    opts = TrainOptions(c=1.0, folds=3)
    own = fit_rows(rows, qids, [], "achievement", opts)
    kept = fit_rows(rows, qids, [], "achievement", TrainOptions(c=1.0, folds=3,
                                                                  prior_queries=90),
                    prior=prior)
    assert kept.metrics["own_share"] == pytest.approx(0.25)
    assert kept.weights == pytest.approx([0.25 * own.weights[0],
                                          0.25 * own.weights[1] + 0.75 * 3.0])
    assert kept.calibrated
    # without prior_queries the prior is ignored
    assert fit_rows(rows, qids, [], "achievement", opts, prior=prior).weights == \
        pytest.approx(own.weights)


def test_feedback_base_walks_back_past_feedback_models_to_what_they_adapted(
        tmp_path: Path) -> None:
    """A feedback-adapted model is not adapted again: its named prior is (a home version,
    the shipped model, the default weights; a model saved before priors were named or whose
    shipped prior came with an older package: this package's shipped model, as a first run)."""
    from techmatch.matcher.scorer import RankerModel, save_model
    from techmatch.matcher.shipped import feedback_base, shipped_model

    shipped = shipped_model()
    assert shipped is not None
    own = RankerModel(trained_on={"source": "qrels q.tsv"})
    save_model(own, tmp_path)  # v1
    fb = RankerModel(trained_on={"source": "feedback", "prior": {
        "source": "qrels q.tsv", "queries": 100, "version": 1, "created": own.created}})
    save_model(fb, tmp_path)  # v2
    found = feedback_base(tmp_path)
    assert (found.version, found.created) == (1, own.created)
    legacy = RankerModel(trained_on={"source": "feedback", "prior": {
        "source": "feedback", "queries": 100}})  # rerun before priors were named
    save_model(legacy, tmp_path)  # v3
    assert feedback_base(tmp_path).created == shipped.created
    upgraded = RankerModel(trained_on={"source": "feedback", "prior": {
        "source": "datasets (an older package)", "queries": 100, "version": 1,
        "created": "2020-01-01T00:00:00+00:00"}})  # the shipped model of an older package
    save_model(upgraded, tmp_path)  # v4
    assert feedback_base(tmp_path).created == shipped.created
    defaults = RankerModel(trained_on={"source": "feedback", "prior": {
        "source": "default weights", "queries": 100, "version": 0, "created": "x"}})
    save_model(defaults, tmp_path)  # v5
    assert feedback_base(tmp_path).models == {}


def test_a_few_judged_positives_keep_the_prior_calibration() -> None:
    """`train-ranker --from-feedback` on three judged positives replaced the shipped model's
    calibration (fitted on thousands of pairs) by a Platt fit on those three (a 19.4,
    b −239 instead of 1.28, −11.7) while the weights moved 2 %. With fewer than
    MIN_CALIBRATION positives the prior's calibrator and intercept (a constant per query:
    the ranking is the same) are kept; with enough the blend is calibrated on its own."""
    from techmatch.matcher.calibrate import Calibrator
    from techmatch.matcher.train import MIN_CALIBRATION

    rng = np.random.default_rng(1)
    prior = LinearModel(kind="achievement", features=["a", "b"], weights=[1.0, 1.0],
                        intercept=0.5, calibrator=Calibrator(method="platt", a=2.0, b=-1.0))
    opts = TrainOptions(c=1.0, folds=3, prior_queries=100)

    def rows(positives: int) -> tuple[PairRows, list[str]]:
        out = PairRows(names=("a", "b"))
        qids = [f"q{i}" for i in range(30)]
        for i, q in enumerate(qids):
            x = rng.normal(size=(6, 2))
            y = np.zeros(6, dtype=int)
            if i < positives:
                y[int(np.argmax(x[:, 0]))] = 1
            out.x.append(x)
            out.y.append(y)
            out.groups += [q] * 6
        return out, qids

    few, qids = rows(MIN_CALIBRATION - 1)
    kept = fit_rows(few, qids, [], "achievement", opts, prior=prior)
    assert kept.metrics["calibration"] == "prior"
    assert kept.calibrator == prior.calibrator and kept.intercept == 0.5
    assert kept.metrics["own_share"] == pytest.approx(30 / 130, abs=1e-4)  # weights still move
    many, qids = rows(30)
    fitted = fit_rows(many, qids, [], "achievement", opts, prior=prior)
    assert fitted.metrics["calibration"] == "fitted" and fitted.calibrator != prior.calibrator
