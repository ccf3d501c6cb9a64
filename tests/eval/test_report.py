"""Report files: JSON, Markdown tables and a PNG with Chinese labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

from techmatch.eval.report import render_markdown, write_report, write_tune_report
from techmatch.fonts import cjk_font


def _report() -> dict[str, object]:
    configs = {"lexical": {"ndcg@10": 0.95, "mrr@10": 0.98},
               "default": {"ndcg@10": 0.97, "mrr@10": 0.99}}
    test = {"delta": 0.02, "p_randomization": 0.01, "p_ttest": 0.02}
    failing = {"id": "q7", "text": "锂电池|热失控", "ndcg@10": 0.3, "first_relevant_rank": 4,
               "top": ["d1", "d2", "d3"]}
    return {"dataset": "演示集", "split": "dev", "queries": 2,
            "corpus": {"records": 12}, "settings": {"encoder": "e5-small", "k": 100},
            "configs": configs, "params": {"default": {"fusion": "rrf", "rrf_k": 60}},
            "significance": {"baseline": "lexical",
                             "tests": {"default": {"ndcg@10": test, "mrr@10": test}}},
            "failures": {"lexical": {"1-ndcg@10": 0.05, "1-ndcg_exp@10": 0.04, "count": 1,
                                     "queries": [failing]},
                         "default": {"1-ndcg@10": 0.03, "1-ndcg_exp@10": 0.02, "count": 1,
                                     "queries": [failing]}},
            "recall_curve": {"lexical": [0.5, 0.8, 0.9], "default": [0.6, 0.9, 1.0]},
            "notes": ["note one"], "seconds": 1.5}


def test_report_files(tmp_path: Path) -> None:
    paths = write_report(_report(), tmp_path / "out")
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["dataset"] == "演示集"
    png = paths["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    md = paths["md"].read_text(encoding="utf-8")
    assert "| default | 0.9700 | 0.9900 | 0.0300 | 0.0200 | 1 |" in md
    assert "+0.0200 (0.01 / 0.02)" in md
    assert "锂电池\\|热失控" in md  # a pipe in query text cannot break the table
    assert "![指标](report.png)" in md


def test_markdown_without_failures_says_none() -> None:
    report = _report()
    report["failures"]["default"] = {"1-ndcg@10": 0.0, "1-ndcg_exp@10": 0.0, "count": 0,
                                     "queries": []}  # type: ignore[index]
    assert "无。" in render_markdown(report)


def test_a_cjk_font_is_installed() -> None:
    assert any(word in cjk_font() for word in ("CJK", "WenQuanYi", "Droid"))


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _prose(md: str) -> list[str]:
    """Headings, sentences and table headers of a report (not its data rows or codes)."""
    lines = md.splitlines()
    header_rows = {i for i, line in enumerate(lines[:-1]) if lines[i + 1].startswith("|---")}
    return [line for i, line in enumerate(lines) if line.strip() and not line.startswith(
        ("|---", "- `", "![")) and (not line.startswith("|") or i in header_rows)]


def test_report_and_tune_markdown_read_in_chinese(tmp_path: Path) -> None:
    """report.md and tune.md (which `techmatch tune` prints) were English: '# Evaluation',
    '2 queries · 12 records', 'Failing queries of …', '# Tuning', 'Winner: …', 'Saved to'."""
    report = {**_report(), "notes": ["已载入语料：读取 12 行，拒绝 0 行"]}
    report["experts"] = {"experts": 6, "queries": 2, "relevance": "qrels", "config": "default",
                         "metrics": {"ndcg@10": 0.5},
                         "calibration": {"default": {"ece_top1": 0.1, "pairs": 4}}}
    report["abstention"] = {"ranker": {"answerable": 2, "unanswerable": 1, "threshold": 0.3,
                                       "auroc": 0.9, "routed_unanswerable": 1.0,
                                       "routed_answerable": 0.0, "ece_top1": 0.1}}
    tune = {"dataset": "演示集", "split": "dev", "queries": 4, "grid_points": 12,
            "objective": "ndcg@10", "seconds": 2.0, "best": {"mode": "hybrid", "fusion": "rrf",
                                                            "rrf_k": 60},
            "splits": {"dev": {"tuned": {"ndcg@10": 0.9}}},
            "cross_validation": {"folds": 2, "seed": 0, "held_out": 0.8, "per_fold": [
                {"fold": 0, "queries": 2, "train": 0.9, "held_out": 0.8,
                 "params": {"mode": "lexical"}}]},
            "note": "演示集 没有 test 划分", "saved_to": "/tmp/retrieval.json"}
    tune_md = write_tune_report(tune, tmp_path / "tune")["md"].read_text(encoding="utf-8")
    for md in (render_markdown(report), tune_md):
        for line in _prose(md):
            assert _CJK.search(line), line
    assert tune_md.startswith("# 调参：演示集 / dev\n\n4 条查询 · 12 个网格点 · 目标 ndcg@10")
    assert "最优参数：mode=hybrid, fusion=rrf, rrf_k=60" in tune_md
    assert "已保存到 `/tmp/retrieval.json`。" in tune_md


def test_expert_calibration_table_shows_debiased_error_and_interval() -> None:
    report = _report()
    report["experts"] = {"experts": 6, "queries": 2, "relevance": "qrels", "config": "default",
                         "metrics": {"ndcg@10": 0.5},
                         "calibration": {"expert-ranker-default": {
                             "ece_top1": 0.145, "ece_top1_floor": 0.111,
                             "ece_top1_debiased": 0.08, "ece_top1_interval": [0.12, 0.21],
                             "ece_top10": 0.027, "ece_top10_floor": 0.03, "pairs": 710}}}
    md = render_markdown(report)
    assert "| 配置 | ECE top-1 | 下限 | 去偏 | 90% 区间 | ECE top-10 | 下限 | 去偏 | 90% 区间 " \
           "| 样本对 |" in md
    assert ("| expert-ranker-default | 0.1450 | 0.1110 | 0.0800 | 0.1200–0.2100 | 0.0270 | "
            "0.0300 | - | - | 710 |") in md
