"""`techmatch eval` / `techmatch tune` on the tiny set: one JSON object on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app


def test_eval_json_and_report_files(tiny_dataset: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = CliRunner().invoke(app, [
        "eval", "--dataset", str(tiny_dataset), "--split", "dev", "--json", "--home", str(home),
        "--threads", "1", "--trials", "200", "--retrievers", "lexical,dense,hybrid-rrf",
        "--metrics", "ndcg@10,mrr@10"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["dataset"] == "tiny-zh" and out["split"] == "dev" and out["queries"] == 4
    assert set(out["configs"]) == {"lexical", "dense", "hybrid-rrf"}
    assert set(out["configs"]["dense"]) == {"ndcg@10", "mrr@10"}
    assert set(out["significance"]["tests"]) == {"dense", "hybrid-rrf"}
    report = Path(out["report"])
    assert report.name == "report.md" and (report.parent / "report.png").stat().st_size > 0
    assert report.parent.parent.parent == home / "eval"


def test_tune_dry_run_does_not_save(tiny_dataset: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = CliRunner().invoke(app, [
        "tune", "--dataset", str(tiny_dataset), "--json", "--home", str(home), "--threads", "1",
        "--dry-run", "--out", str(tmp_path / "tune")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["grid_points"] == 42 and "saved_to" not in out
    assert not (home / "retrieval.json").exists()
    assert (tmp_path / "tune" / "tune.md").read_text(encoding="utf-8").startswith("# Tuning")


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--dataset", str(tmp_path / "nope"),
                                      "--home", str(tmp_path / "h")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
