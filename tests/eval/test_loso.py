"""Leave-one-set-out on two tiny sets of different query styles (needs / titles), real e5."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.errors import ValidationError
from techmatch.eval.loso import (
    SELECT_METRIC,
    UNTAUGHT,
    UNTRAINED,
    LosoOptions,
    in_distribution,
    keep_untaught,
    leave_one_set_out,
    save_shipped,
    summary,
)
from techmatch.matcher.scorer import _DEFAULT_SLOPE as DEFAULT_SLOPE
from techmatch.matcher.scorer import _DEFAULT_WEIGHTS as DEFAULT_WEIGHTS
from techmatch.matcher.scorer import LinearModel, RankerModel, load_current, load_model
from techmatch.matcher.train import TrainOptions, query_half

pytestmark = pytest.mark.slow  # encodes the tiny corpus once per session cache


def _title_set(tiny: Path, out: Path) -> Path:
    """The tiny corpus again, queried by each record's own title (grade 2)."""
    out.mkdir()
    shutil.copy(tiny / "corpus.jsonl", out / "corpus.jsonl")
    docs = [json.loads(line) for line in (tiny / "corpus.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    (out / "queries.jsonl").write_text("".join(
        json.dumps({"_id": f"t{d['_id']}", "text": d["title"]}, ensure_ascii=False) + "\n"
        for d in docs), encoding="utf-8")
    (out / "qrels").mkdir()
    (out / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"t{d['_id']}\t{d['_id']}\t2\n" for d in docs), encoding="utf-8")
    return out


@pytest.fixture
def settings(tmp_path: Path, vector_cache: Path) -> Settings:
    return Settings(home=tmp_path / "home", threads=1, cache_dir=vector_cache)


def test_each_set_is_scored_by_a_model_fitted_without_it(
        tiny_dataset: Path, tmp_path: Path, settings: Settings) -> None:
    titles = _title_set(tiny_dataset, tmp_path / "tiny-titles")
    options = LosoOptions(train=TrainOptions(negatives=3, holdout=0.0, folds=2), trials=200)
    report = leave_one_set_out([tiny_dataset, titles], settings, options, fit_all=True)

    folds = {f["dataset"]: f for f in report["folds"]}
    assert sorted(folds) == ["tiny-titles", "tiny-zh"]
    assert folds["tiny-zh"]["trained_on"] == ["tiny-titles"]
    assert folds["tiny-titles"]["trained_on"] == ["tiny-zh"]
    assert folds["tiny-titles"]["queries"] == 12 and folds["tiny-zh"]["queries"] == 4
    for name, fold in folds.items():
        configs = fold["configs"]
        assert set(configs) == {*UNTRAINED, "ranker"}
        best = max(UNTRAINED, key=lambda n: configs[n][SELECT_METRIC])
        assert configs[fold["best_untrained"]][SELECT_METRIC] == configs[best][SELECT_METRIC]
        test = fold["ranker_vs_best"][SELECT_METRIC]
        assert test["delta"] == pytest.approx(
            configs["ranker"][SELECT_METRIC] - configs[best][SELECT_METRIC])
        assert 0.0 < test["p_randomization"] <= 1.0
        # the scored model is on disk, fitted on the other set only
        saved = load_current(settings.home / "loso" / f"without-{name}")
        assert saved is not None
        assert saved.trained_on["source"] == f"datasets {folds[name]['trained_on'][0]}"
        assert saved.trained_on["encoder"] == "e5-small-q4@torch"
        assert saved.models["achievement"].calibrated

    both = report["model_all"]
    # every labelled query of both sets, kept apart by set prefix (q1 of one set ≠ of another)
    assert both.models["achievement"].metrics["queries"] == 12 + 4
    assert "model_all" not in summary(report)
    assert all("per_query" not in f for f in summary(report)["folds"])

    path = save_shipped(both, tmp_path / "ranker-default.json")
    shipped = load_model(path)
    assert shipped.version == 1 and shipped.abstention == {}
    fitted = both.models["achievement"]
    for f, w, fit in zip(fitted.features, shipped.models["achievement"].weights,
                         fitted.weights, strict=True):
        # taught weights kept; untaught ones (constant in the sets) from the defaults, in logits
        assert w == (fit if fit != 0.0 or f not in UNTAUGHT else DEFAULT_WEIGHTS[f] * DEFAULT_SLOPE)
    assert "region" in shipped.models["achievement"].metrics["untaught_from_defaults"]


def test_train_only_sets_are_fitted_in_every_fold_and_never_held_out(
        tiny_dataset: Path, tmp_path: Path, settings: Settings) -> None:
    titles = _title_set(tiny_dataset, tmp_path / "tiny-titles")
    extra = _title_set(tiny_dataset, tmp_path / "tiny-titles-b")
    options = LosoOptions(train=TrainOptions(negatives=3, holdout=0.0, folds=2,
                                             objective="pairwise"), trials=200)
    report = leave_one_set_out([tiny_dataset, titles], settings, options, fit_all=True,
                               train_only=[extra])
    folds = {f["dataset"]: f for f in report["folds"]}
    assert sorted(folds) == ["tiny-titles", "tiny-zh"]
    assert folds["tiny-zh"]["trained_on"] == ["tiny-titles", "tiny-titles-b"]
    assert folds["tiny-titles"]["trained_on"] == ["tiny-zh", "tiny-titles-b"]
    saved = load_current(settings.home / "loso" / "without-tiny-zh")
    assert saved is not None
    assert saved.models["achievement"].metrics["queries"] == 12 + 12
    both = report["model_all"]
    assert both.models["achievement"].metrics["queries"] == 4 + 12 + 12
    assert both.trained_on["source"] == "datasets tiny-zh, tiny-titles, tiny-titles-b"


def test_in_distribution_fits_on_one_half_of_every_set_and_scores_the_other(
        tiny_dataset: Path, tmp_path: Path, settings: Settings) -> None:
    titles = _title_set(tiny_dataset, tmp_path / "tiny-titles")
    options = LosoOptions(train=TrainOptions(negatives=3, holdout=0.0, folds=2,
                                             objective="pairwise"), trials=200, half=1)
    report = in_distribution([tiny_dataset, titles], settings, options)
    folds = {f["dataset"]: f for f in report["folds"]}
    assert sorted(folds) == ["tiny-titles half 2", "tiny-zh half 2"]
    title_ids = [json.loads(line)["_id"]
                 for line in (titles / "queries.jsonl").read_text("utf-8").splitlines()]
    second = query_half(title_ids, 2)[0]
    assert 0 < len(second) < len(title_ids)
    assert folds["tiny-titles half 2"]["queries"] == len(second)
    model = report["model_all"]
    lm = model.models["achievement"]
    assert model.trained_on["half"] == 1 and model.trained_on["objective"] == "pairwise"
    assert lm.intercept == 0.0 and lm.calibrated
    # fitted on half 1 of both sets only
    assert lm.metrics["queries"] < 12 + 4
    for fold in folds.values():
        assert set(fold["configs"]) == {*UNTRAINED, "ranker"}
        assert fold["trained_on"] == ["tiny-zh half 1", "tiny-titles half 1"]


def test_needs_two_sets(tiny_dataset: Path, settings: Settings) -> None:
    with pytest.raises(ValidationError, match="需要至少两个数据集"):
        leave_one_set_out([tiny_dataset], settings)


def test_cli_refuses_one_set_without_a_shipped_fit(tiny_dataset: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from techmatch.cli import app

    result = CliRunner().invoke(app, ["loso", "--dataset", str(tiny_dataset),
                                      "--home", str(tmp_path / "home")])
    assert result.exit_code != 0
    assert "需要至少两个数据集" in result.output


def test_cli_refuses_train_sets_with_half_or_one_set(tiny_dataset: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from techmatch.cli import app

    base = ["loso", "--dataset", str(tiny_dataset), "--home", str(tmp_path / "home"),
            "--train-set", str(tiny_dataset)]
    for extra in ([], ["--dataset", str(tiny_dataset), "--half", "1"]):
        result = CliRunner().invoke(app, [*base, *extra])
        assert result.exit_code != 0
        assert "train-set" in result.output
    assert not (tmp_path / "home" / "loso").exists()


def test_keep_untaught_fills_only_facets_not_features_left_out_of_the_fit() -> None:
    fitted = RankerModel(models={"achievement": LinearModel(
        kind="achievement", features=["hybrid_mm", "dense", "discipline", "region"],
        weights=[12.0, 0.0, 0.0, 0.7])})
    lm = keep_untaught(fitted).models["achievement"]
    assert lm.weights == [12.0, 0.0, DEFAULT_WEIGHTS["discipline"] * DEFAULT_SLOPE, 0.7]
    assert lm.metrics["untaught_from_defaults"] == ["discipline"]
