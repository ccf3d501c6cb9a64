"""Report files: JSON, Markdown tables and a PNG with Chinese labels."""

from __future__ import annotations

import json
from pathlib import Path

from techmatch.eval.report import render_markdown, write_report
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
    assert "![metrics](report.png)" in md


def test_markdown_without_failures_says_none() -> None:
    report = _report()
    report["failures"]["default"] = {"1-ndcg@10": 0.0, "1-ndcg_exp@10": 0.0, "count": 0,
                                     "queries": []}  # type: ignore[index]
    assert "None." in render_markdown(report)


def test_a_cjk_font_is_installed() -> None:
    assert any(word in cjk_font() for word in ("CJK", "WenQuanYi", "Droid"))
