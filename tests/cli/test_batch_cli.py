"""`techmatch batch`'s printed summary: what the cron log shows staff, in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

from techmatch.cli.batch import summary_lines
from techmatch.matcher.batch import BatchSummary
from techmatch.matcher.batch.plan import REASON_LABELS


def _summary(recomputed: int, resumed: bool = False) -> BatchSummary:
    counts = {"open_needs": 42, "forgotten_needs": 0, "topics_threshold": 0.35,
              "achievement": {"recomputed": 9, "skipped": 33, "chunks": 1,
                              "reasons": {"new": 1, "need_or_config_changed": 1,
                                          "candidate_may_enter_topk": 7}},
              "expert": {"recomputed": recomputed, "skipped": 42 - recomputed, "chunks": 1,
                         "reasons": {"candidate_in_topk_changed": recomputed}}}
    return BatchSummary(run_id="20261130T201637Z-d7da45", status="finished", resumed=resumed,
                        recomputed=recomputed, skipped=42 - recomputed, seconds=3.46,
                        counts=counts, message="")


def _english(lines: list[str]) -> list[str]:
    """Latin words left once run ids, paths and format names are taken out."""
    text = "\n".join(lines).replace("20261130T201637Z-d7da45", "")
    text = re.sub(r"/\S+", "", text).replace("JSONL", "").replace("CSV", "").replace("XLSX", "")
    return re.findall(r"[A-Za-z_]{2,}", text)


def test_summary_is_chinese_with_the_counts_and_reasons() -> None:
    paths = {"jsonl": Path("/tmp/out/batch-results.jsonl"),
             "xlsx": Path("/tmp/out/batch-results.xlsx")}
    lines = summary_lines(_summary(15), ("achievement", "expert"), paths)
    assert _english(lines) == [], lines
    assert lines[0].startswith("批量匹配 20261130T201637Z-d7da45：")
    assert "重算 15 条" in lines[0] and "跳过 27 条" in lines[0] and "3.5 秒" in lines[0]
    assert lines[1].startswith("  成果：重算 9 条，跳过 33 条")
    assert f"{REASON_LABELS['candidate_may_enter_topk']} 7 条" in lines[1]
    assert lines[2].startswith("  专家：重算 15 条，跳过 27 条")
    assert lines[3:] == ["  已导出 JSONL：/tmp/out/batch-results.jsonl",
                         "  已导出 XLSX：/tmp/out/batch-results.xlsx"]


def test_nothing_changed_and_resumed_runs_say_so() -> None:
    quiet = summary_lines(_summary(0), ("expert",), {})
    assert "没有变化" in quiet[0] and _english(quiet) == [], quiet
    resumed = summary_lines(_summary(3, resumed=True), ("expert",), {})
    assert "续跑" in resumed[0] and _english(resumed) == [], resumed


def test_every_plan_reason_has_a_label() -> None:
    source = (Path(__file__).resolve().parents[2] / "techmatch/matcher/batch/plan.py").read_text(
        encoding="utf-8")
    reasons = set(re.findall(r'recompute\[[^\]]+\] = "(\w+)"', source))
    assert reasons and reasons <= set(REASON_LABELS), reasons - set(REASON_LABELS)


def test_a_home_without_open_needs_does_not_claim_nothing_changed(tmp_path: Path) -> None:
    """`techmatch batch --home` with a typo in cron ran on a new empty store and said
    自上次运行以来没有变化 (there was no last run); it now says there are no open needs."""
    from typer.testing import CliRunner

    from techmatch.cli import app

    home = tmp_path / "empty"  # a typo'd home that does not exist is refused (exit 5):
    home.mkdir()  # tests/cli/test_missing_home.py; an existing home without needs runs
    result = CliRunner().invoke(app, ["batch", "--home", str(home), "--workers", "1"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert "没有待匹配需求" in first and "没有变化" not in first, first
