"""Write the coverage report: `stats.json`, `stats.md` and `stats.png` in one folder."""

from __future__ import annotations

import json
from pathlib import Path

from techmatch.matcher.analytics.chart import draw_coverage
from techmatch.matcher.analytics.coverage import CoverageReport
from techmatch.models.records import KIND_LABELS


def write_report(report: CoverageReport, folder: Path) -> dict[str, Path]:
    """Write the three files; returns name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "stats.json", "markdown": folder / "stats.md",
             "png": folder / "stats.png"}
    paths["json"].write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2),
                             encoding="utf-8")
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    draw_coverage(report, paths["png"])
    return paths


def markdown(report: CoverageReport) -> str:
    """The report as Markdown (Chinese headings, tables)."""
    t = report.totals
    kinds = "、".join(KIND_LABELS.get(k, k) for k in report.kinds)
    lines = [
        "# 需求覆盖与缺口分析", "",
        f"- 批次：{report.run_id or '（尚无批次）'}；上次批次：{report.previous_run_id or '—'}",
        f"- 置信度阈值：{report.threshold:.2f}（候选类型：{kinds}）",
        f"- 待匹配需求 {t['open_needs']}，其中机器有可信推荐 {t['suggested']}、"
        f"无可信推荐 {t['unmatched']}（其中未计算 {t['not_computed']}，可信候选均不宜对接 "
        f"{t.get('conflicted_only', 0)}）",
        f"- 对接结果（与机器推荐分开统计）：企业确认 {t['confirmed']}，签约 {t['signed']}", "",
        "![coverage](stats.png)", "",
        "## 城市 × 行业", "",
        "| 城市 | 行业 | 待匹配 | 机器推荐 | 企业确认 | 签约 | 无可信推荐 | 本地成果 | "
        "全国同行业成果 | 本地专家 | 全国同行业专家 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in report.cells:
        lines.append(f"| {c.city} | {c.industry} | {c.open_needs} | {c.suggested} | "
                     f"{c.confirmed} | {c.signed} | {c.unmatched} | {c.achievements_local} | "
                     f"{c.achievements_industry} | {c.experts_local} | {c.experts_industry} |")
    lines += ["", "## 未匹配需求", "",
              "| 需求编号 | 城市 | 行业 | 需求标题 | 最高置信度（可对接候选） | 原因 |",
              "|---|---|---|---|---:|---|"]
    for u in sorted(report.unmatched, key=lambda u: (u.city, u.industry, u.id)):
        conf = "未计算" if u.best_confidence is None else f"{u.best_confidence:.2f}"
        lines.append(f"| {u.id} | {u.city} | {u.industry} | {_cell(u.title)} | {conf} | "
                     f"{u.note} |")
    lines += ["", "## 未匹配需求高频关键词", "", "| 关键词 | 需求数 |", "|---|---:|"]
    lines += [f"| {kw} | {n} |" for kw, n in report.top_keywords]
    lines += ["", "## 上升话题（较上次批次）", ""]
    if report.rising:
        lines += ["| 关键词 | 本次 | 上次 | 变化 |", "|---|---:|---:|---:|"]
        lines += [f"| {r.keyword} | {r.count} | {r.previous} | +{r.delta} |"
                  for r in report.rising]
    else:
        lines.append("（无）")
    if report.notes:
        lines += ["", "## 说明", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
