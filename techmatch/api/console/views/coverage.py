"""覆盖分析 presenter: coverage of the needs posted in a date range, heat map and sheets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from techmatch.api.console.charts import HeatCell, bar_list, heat_map
from techmatch.api.console.views.dashboard import in_range
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.analytics.coverage import CoverageReport, compute_coverage, coverage_notes
from techmatch.matcher.batch import results
from techmatch.matcher.batch.run import TARGETS
from techmatch.matcher.dockings.effects import need_outcomes
from techmatch.models.programme import china_minute
from techmatch.models.records import Need
from techmatch.store import Store
from techmatch.xlsx import Sheet


@dataclass
class CoverageView:
    report: CoverageReport
    heat: Markup
    keywords: Markup
    run_at: str = ""  # the batch's time as staff read it (run_time)


def run_time(store: Store, run_id: str | None) -> str:
    """When the batch `run_id` finished (else started), in Beijing time as 工作台 shows it:
    '2026-12-01 15:21'; empty without a run."""
    run = results.get_run(store, run_id) if run_id else None
    return china_minute(run.finished or run.started) if run else ""


def coverage_for_range(store: Store, tokenizer: Tokenizer, *, threshold: float,
                       start: dt.date | None, end: dt.date | None,
                       hidden: frozenset[str]) -> CoverageReport:
    """The coverage report (latest batch results) over needs created in [start, end]."""
    scope = results.scope_of(TARGETS)
    finished = results.runs(store, status="finished", limit=2)
    run_id = finished[0].run_id if finished else None
    previous = finished[1].run_id if len(finished) > 1 else None
    low, high = start or dt.date.min, end or dt.date.max
    needs = [n for n in store.iter_records("need") if isinstance(n, Need)
             and (start is None and end is None or in_range(n.created_at, low, high))]
    cells, unmatched, top, grown, totals = compute_coverage(
        needs, store.iter_records("achievement"),  # type: ignore[arg-type]
        store.iter_records("expert"), results.pairs(store),  # type: ignore[arg-type]
        tokenizer, threshold=threshold, hidden=hidden, outcomes=need_outcomes(store),
        previous_topics=results.topics(store, previous, scope) if previous else None)
    snap = finished[1].counts.get("topics_threshold") if previous else None  # as the API
    notes = coverage_notes(run_id, previous, totals, threshold=threshold,
                           previous_threshold=None if snap is None else float(snap))
    return CoverageReport(threshold=threshold, kinds=scope.split(","), run_id=run_id,
                          previous_run_id=previous, totals=totals, cells=cells,
                          unmatched=unmatched, top_keywords=list(top.items()), rising=grown,
                          notes=notes)


HEAT_CAPTION = "各城市 × 行业 未匹配 / 待匹配需求数（颜色：待匹配数；红框：有未匹配）"


def coverage_view(report: CoverageReport, run_at: str = "") -> CoverageView:
    shown = [c for c in report.cells if c.open_needs]
    cities = sorted({c.city for c in shown})
    industries = sorted({c.industry for c in shown})
    cells = [HeatCell(c.city, c.industry, float(c.open_needs), f"{c.unmatched}/{c.open_needs}",
                      f"{c.city} · {c.industry}：未匹配 {c.unmatched} / 待匹配 {c.open_needs}，"
                      f"本地成果 {c.achievements_local}，本地专家 {c.experts_local}",
                      alert=c.unmatched > 0)
             for c in shown]
    rising = frozenset(t.keyword for t in report.rising)
    return CoverageView(
        report=report, run_at=run_at,
        heat=heat_map(cities, industries, cells, caption=HEAT_CAPTION),
        keywords=bar_list([(k, float(n)) for k, n in report.top_keywords[:15]],
                          caption="未匹配需求高频关键词", highlight=rising))


def coverage_sheets(report: CoverageReport, start: dt.date | None,
                    end: dt.date | None, run_at: str = "") -> list[Sheet]:
    cells = [[c.city, c.industry, c.open_needs, c.suggested, c.unmatched, c.confirmed,
              c.signed, c.achievements_local, c.achievements_industry, c.experts_local,
              c.experts_industry]
             for c in report.cells]
    unmatched = [[u.id, u.city, u.industry, u.title, u.enterprise,
                  "未计算" if u.best_confidence is None else round(u.best_confidence, 4),
                  u.note]
                 for u in report.unmatched]
    t = report.totals
    summary: list[list[Any]] = [["录入起", start or "不限"], ["录入止", end or "不限"],
               ["置信度阈值", report.threshold], ["批次", report.run_id or "（尚无）"],
               ["批次时间（北京时间）", run_at or "（尚无）"],
               ["待匹配需求", t["open_needs"]], ["机器有可信推荐", t["suggested"]],
               ["无可信匹配", t["unmatched"]],
               ["其中可信候选均不宜对接", t.get("conflicted_only", 0)],
               ["企业确认（对接）", t.get("confirmed", 0)], ["签约（对接）", t.get("signed", 0)]]
    return [
        Sheet("城市×行业", ["城市", "行业", "待匹配", "有可信推荐", "未匹配", "企业确认", "签约",
                         "本地成果", "全国同行业成果", "本地专家", "全国同行业专家"], cells),
        Sheet("未匹配需求", ["需求编号", "城市", "行业", "标题", "企业", "最高置信度", "原因"],
              unmatched, (10, 8, 14, 40, 28, 12, 36)),
        Sheet("高频关键词", ["关键词", "需求数"], [list(kw) for kw in report.top_keywords]),
        Sheet("上升话题", ["关键词", "本次", "上次", "增加"],
              [[r.keyword, r.count, r.previous, r.delta] for r in report.rising]),
        Sheet("概要", ["项目", "值"], summary),
    ]
