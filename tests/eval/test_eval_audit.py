"""An evaluator's runs of `eval`, `tune`, `train-ranker` on damaged or unusual BEIR sets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app


def _copy(tiny_dataset: Path, tmp_path: Path) -> Path:
    target = tmp_path / "set"
    shutil.copytree(tiny_dataset, target)
    return target


def _set_query_text(dataset: Path, qid: str, text: str) -> None:
    path = dataset / "queries.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["_id"] == qid:
            row["text"] = text
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")


def test_train_ranker_skips_and_reports_a_query_with_empty_text(tiny_dataset: Path,
                                                                tmp_path: Path) -> None:
    dataset = _copy(tiny_dataset, tmp_path)
    with (dataset / "qrels" / "dev.tsv").open("a", encoding="utf-8") as fh:  # enough to fit
        fh.write("q5\td11\t2\nq6\td03\t2\nq2\td01\t0\nq3\td02\t0\nq6\td01\t0\n")
    _set_query_text(dataset, "q1", "  ")
    result = CliRunner().invoke(app, ["train-ranker", "--dataset", str(dataset), "--json",
                                      "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["skipped_queries"] == {"empty_text": ["q1"]}
    kind = out["kinds"]["achievement"]
    assert kind["queries"] + kind["heldout_queries"] == 5  # q2-q6
