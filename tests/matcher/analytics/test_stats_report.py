"""`stats` on the samples: unmatched needs by city and industry, rising topics, and a PNG
whose Chinese labels render in a CJK font."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from batch_helpers import OPTIONS, FakeEngine
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.analytics import coverage_report, write_report
from techmatch.matcher.batch import run_batch
from techmatch.models.records import Need

# data/samples/README.md: no achievement or expert addresses these.
DELIBERATELY_UNMATCHED = {"N024", "N040", "N047"}


def test_stats_lists_unmatched_needs_by_city_and_industry(batched: FakeEngine) -> None:
    report = coverage_report(batched.store, batched.tokenizer, threshold=0.35,
                             kinds=["achievement"])
    ids = {u.id for u in report.unmatched}
    assert DELIBERATELY_UNMATCHED <= ids
    n047 = next(u for u in report.unmatched if u.id == "N047")
    assert (n047.city, n047.industry) == ("青岛", "精细化工")
    cell = next(c for c in report.cells if (c.city, c.industry) == ("青岛", "精细化工"))
    assert cell.unmatched >= 1 and cell.open_needs == cell.suggested + cell.unmatched
    assert sum(c.unmatched for c in report.cells) == len(report.unmatched)
    assert report.totals["open_needs"] == 43 and report.totals["not_computed"] == 0
    assert report.rising == [] and report.previous_run_id is None


def test_chart_renders_chinese_without_missing_glyphs(batched: FakeEngine,
                                                       tmp_path: Path) -> None:
    report = coverage_report(batched.store, batched.tokenizer, threshold=0.35,
                             kinds=["achievement"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = write_report(report, tmp_path / "stats")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)
               or "Glyph" in str(w.message)]
    assert missing == []
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = paths["markdown"].read_text(encoding="utf-8")
    assert "| N047 | 青岛 | 精细化工 |" in md
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert {u["id"] for u in data["unmatched"]} == {u.id for u in report.unmatched}


def test_rising_topics_after_new_unmatched_demand(batched: FakeEngine) -> None:
    base = batched.store.get("N047", "need")
    assert isinstance(base, Need)
    batched.store.upsert([base.model_copy(update={"id": f"N2{i:02d}",
                                                       "enterprise": f"企业{i}"})
                               for i in range(3)])
    run_batch(batched, OPTIONS)
    report = coverage_report(batched.store, batched.tokenizer,
                             threshold=batched.settings.confidence_threshold,
                             kinds=["achievement"])
    assert report.previous_run_id is not None
    grown = {t.keyword: t for t in report.rising}
    assert grown["无铬鞣剂"].delta == 3 and grown["无铬鞣剂"].previous == 1


def test_stats_command_writes_the_report(batched: FakeEngine, tmp_path: Path) -> None:
    home = str(batched.settings.home)
    result = CliRunner().invoke(app, ["stats", "--home", home, "--kinds", "achievement",
                                      "--threshold", "0.35", "--out", str(tmp_path / "o"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert DELIBERATELY_UNMATCHED <= {u["id"] for u in data["unmatched"]}
    assert Path(data["files"]["png"]).exists()
    bad = CliRunner().invoke(app, ["stats", "--home", home, "--kinds", "need"])
    assert bad.exit_code == 2 and "kinds" in bad.output


def test_a_need_offered_only_its_own_result_is_unmatched_in_report_and_snapshot(
        batched: FakeEngine) -> None:
    """N006's one confident achievement (A013) becomes its own enterprise's result: coverage
    lists it as unmatched (conflicted_only), and the batch's topic snapshot — what the next
    report's rising topics compare with — counts its keywords as unmet demand too."""
    from techmatch.matcher.batch import results

    threshold = batched.settings.confidence_threshold
    need = batched.store.get("N006", "need")
    owner = batched.store.get("A013", "achievement")
    assert isinstance(need, Need) and owner.institution  # type: ignore[union-attr]
    # the institution in simplified characters: 工業 and 工业 are one organisation
    batched.store.upsert([need.model_copy(update={"enterprise": "工业技术研究院材料与化工研究所"})])
    summary = run_batch(batched, OPTIONS)
    report = coverage_report(batched.store, batched.tokenizer, threshold=threshold,
                             kinds=["achievement"], top_n=10_000)
    n006 = next(u for u in report.unmatched if u.id == "N006")
    assert (n006.reason, n006.conflict) == ("conflicted_only", "own_result")
    assert n006.conflict_confidence is not None and n006.conflict_confidence >= threshold
    assert n006.best_confidence is not None and n006.best_confidence < threshold
    assert report.totals["conflicted_only"] == 1
    snapshot = results.topics(batched.store, summary.run_id, "achievement")
    assert snapshot == dict(report.top_keywords)
