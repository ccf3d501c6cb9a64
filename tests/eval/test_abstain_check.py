"""The held-out check of the abstention models on synthetic rows (no index needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from techmatch.errors import ValidationError
from techmatch.eval import abstain_check
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
    # beside the floor: the debiased error (both answerable top hits share a bin and are
    # good: gap² less ȳ(1 − ȳ)/(n − 1) = 0) and the ECE's interval, needs resampled
    gap = 1 - (p[0] + p[1]) / 2
    assert out["ece_top1_answerable_debiased"] == pytest.approx(gap, abs=1e-4)
    low, high = out["ece_top1_answerable_interval"]
    assert low <= out["ece_top1_answerable"] <= high and low < high
    assert out["ece_top10_answerable_debiased"] >= 0
    with pytest.raises(ValidationError):
        check(_model(), rows, np.array([True]), threshold=0.35)


# --- bad evaluation sets: `python -m techmatch.eval.abstain_check` said so only in a Python
# traceback (IngestError / ValueError 'need at least one array to concatenate' /
# FileNotFoundError / KeyError), after encoding the sets before it. Each is now one line
# naming the file (and row), exit 2, checked before any set is ranked.

def _copy_set(src: Path, dst: Path, *, unanswerable: bool = True) -> Path:
    shutil.copytree(src, dst)
    if unanswerable:  # q5, q6 are in queries.jsonl without qrels: the unanswerable needs
        (dst / "unanswerable.txt").write_text("q5\nq6\n", encoding="utf-8")
    return dst


@pytest.fixture
def no_ranking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every problem must be found before a set is ranked (minutes on a real set)."""
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a set was ranked before the sets were checked")
    monkeypatch.setattr(abstain_check, "achievement_rows", refuse)
    monkeypatch.setattr(abstain_check, "expert_rows", refuse)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as caught:
        abstain_check.main([*args, "--half", "2"])
    err = capsys.readouterr().err
    assert caught.value.code == 2, err
    assert "Traceback" not in err
    return err


@pytest.mark.usefixtures("no_ranking")
def test_a_missing_set_is_named(tmp_path: Path, tiny_dataset: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    good = _copy_set(tiny_dataset, tmp_path / "good")
    err = _run(["--answerable-set", str(good), "--expert-set", str(tmp_path / "nope")], capsys)
    assert str(tmp_path / "nope") in err and "不存在" in err


@pytest.mark.usefixtures("no_ranking")
def test_an_answerable_set_without_unanswerable_txt_is_named(
        tmp_path: Path, tiny_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bare = _copy_set(tiny_dataset, tmp_path / "bare", unanswerable=False)
    err = _run(["--answerable-set", str(bare), "--expert-set", str(tiny_dataset)], capsys)
    assert str(bare / "unanswerable.txt") in err and "无解需求" in err


@pytest.mark.usefixtures("no_ranking")
def test_empty_qrels_are_named(tmp_path: Path, tiny_dataset: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    empty = _copy_set(tiny_dataset, tmp_path / "empty")
    (empty / "qrels" / "dev.tsv").write_text("", encoding="utf-8")
    err = _run(["--answerable-set", str(empty), "--expert-set", str(tiny_dataset)], capsys)
    assert str(empty / "qrels" / "dev.tsv") in err
    err = _run(["--answerable-set", str(_copy_set(tiny_dataset, tmp_path / "good")),
                "--expert-set", str(empty)], capsys)
    assert str(empty / "qrels" / "dev.tsv") in err


@pytest.mark.usefixtures("no_ranking")
def test_malformed_qrels_name_the_row(tmp_path: Path, tiny_dataset: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = _copy_set(tiny_dataset, tmp_path / "bad")
    (bad / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td02\n",
                                           encoding="utf-8")
    err = _run(["--answerable-set", str(bad), "--expert-set", str(tiny_dataset)], capsys)
    assert f"文件 {bad / 'qrels' / 'dev.tsv'}，第 2 行" in err


@pytest.mark.usefixtures("no_ranking")
def test_an_expert_set_without_experts_is_named(tmp_path: Path, tiny_dataset: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    works_only = _copy_set(tiny_dataset, tmp_path / "works")
    (works_only / "experts.jsonl").unlink()
    err = _run(["--answerable-set", str(_copy_set(tiny_dataset, tmp_path / "good")),
                "--expert-set", str(works_only)], capsys)
    assert str(works_only / "experts.jsonl") in err


@pytest.mark.usefixtures("no_ranking")
@pytest.mark.parametrize(("text", "says"), [(None, "不存在"), ('{"achievement": 3', "line 1"),
                                            ("{}", "achievement"),
                                            ('{"achievement": {"kind": 3}, "expert": {}}',
                                             "achievement")])
def test_a_bad_model_file_is_named(tmp_path: Path, tiny_dataset: Path,
                                   capsys: pytest.CaptureFixture[str], text: str | None,
                                   says: str) -> None:
    model = tmp_path / "models.json"
    if text is not None:
        model.write_text(text, encoding="utf-8")
    good = _copy_set(tiny_dataset, tmp_path / "good")
    err = _run(["--answerable-set", str(good), "--expert-set", str(good),
                "--model", str(model)], capsys)
    assert str(model) in err and says in err
