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


def test_default_configurations_include_the_untrained_ranker(tiny_dataset: Path,
                                                            tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "eval", "--dataset", str(tiny_dataset), "--json", "--home", str(tmp_path / "home"),
        "--threads", "1", "--trials", "100", "--metrics", "ndcg@10"])
    assert result.exit_code == 0, result.output
    configs = json.loads(result.stdout)["configs"]
    assert list(configs) == ["lexical", "dense", "hybrid-rrf", "hybrid-weighted", "default",
                             "ranker-default"]
    assert all(0.0 <= v["ndcg@10"] <= 1.0 for v in configs.values())


def test_tune_dry_run_does_not_save(tiny_dataset: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = CliRunner().invoke(app, [
        "tune", "--dataset", str(tiny_dataset), "--json", "--home", str(home), "--threads", "1",
        "--dry-run", "--out", str(tmp_path / "tune")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["grid_points"] == 42 and "saved_to" not in out
    assert not (home / "retrieval.json").exists()
    assert (tmp_path / "tune" / "tune.md").read_text(encoding="utf-8").startswith("# 调参：")


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--dataset", str(tmp_path / "nope"),
                                      "--home", str(tmp_path / "h")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"错误：文件 {tmp_path / 'nope'}：数据集文件夹 ")
    assert "不存在" in result.stderr


def test_ranker_configs_and_halves(tiny_dataset: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    base = ["eval", "--dataset", str(tiny_dataset), "--json", "--home", str(home), "--threads",
            "1", "--trials", "100", "--metrics", "ndcg@10"]
    result = CliRunner().invoke(app, [*base, "--retrievers", "lexical,ranker-default"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert 0.0 < out["configs"]["ranker-default"]["ndcg@10"] <= 1.0
    # ranked with the package's shipped model: the tiny set uses the default encoder
    from techmatch.eval.configs import model_label
    from techmatch.matcher.shipped import shipped_model

    assert out["models"] == {"ranker-default": model_label(shipped_model())}
    assert out["models"]["ranker-default"].startswith("fitted on datasets ")
    # Each half is exactly the one `train-ranker --half` uses, whatever --seed says.
    from techmatch.eval.datasets import load_dataset
    from techmatch.matcher.train import query_half

    all_ids = load_dataset(tiny_dataset, "dev").query_ids()
    for h in (1, 2):
        half = json.loads(CliRunner().invoke(app, [*base, "--retrievers", "lexical", "--seed",
                                                   "7", "--half", str(h)]).stdout)
        report = json.loads(Path(half["report"]).with_suffix(".json").read_text("utf-8"))
        scored = set(report["per_query"]["lexical"]["ndcg@10"])
        assert scored == set(query_half(all_ids, h)[0]) and scored
    missing = CliRunner().invoke(app, [*base, "--retrievers", "ranker"])
    assert missing.exit_code == 2 and "train-ranker" in missing.output


def test_export_feedback_writes_beir_qrels(tmp_path: Path) -> None:
    from techmatch.matcher.feedback import record_feedback
    from techmatch.models import Achievement, Need
    from techmatch.store import Store

    home = tmp_path / "home"
    store = Store(home / "store.sqlite")
    store.upsert([Need(id="n1", title="废水处理"), Achievement(id="a1", title="臭氧氧化"),
                  Achievement(id="a2", title="膜分离")])
    record_feedback(store, "n1", "a1", label="deal")
    record_feedback(store, "n1", "a2", label="rejected", reason="too_costly")
    store.close()
    result = CliRunner().invoke(app, ["export-feedback", "--out", str(tmp_path / "fb"),
                                      "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "fb" / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == ["n1\ta1\t2", "n1\ta2\t0"]


def test_export_feedback_says_in_chinese_what_it_wrote_and_left_out(tmp_path: Path) -> None:
    """`techmatch export-feedback` said '1 need→achievement and 0 need→expert pairs written
    to …' and nothing of the judgement it left out (its achievement had been deleted)."""
    from techmatch.matcher.feedback import record_feedback
    from techmatch.models import Achievement, Need
    from techmatch.store import Store

    home = tmp_path / "home"
    store = Store(home / "store.sqlite")
    store.upsert([Need(id="n1", title="废水处理"), Achievement(id="a1", title="臭氧氧化"),
                  Achievement(id="a3", title="电絮凝")])
    record_feedback(store, "n1", "a1", label="deal")
    record_feedback(store, "n1", "a3", label="accepted")
    store.delete("a3")
    store.close()
    result = CliRunner().invoke(app, ["export-feedback", "--out", str(tmp_path / "fb"),
                                      "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "已导出 1 对需求→成果、0 对需求→专家的判断" in result.stdout, result.stdout
    assert "记录已删除、未导出：候选 a3" in result.stdout, result.stdout
    lines = (tmp_path / "fb" / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == ["n1\ta1\t2"]
