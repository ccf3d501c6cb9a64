"""工作台: open needs, needs without a good match, the last batch run and KPI tiles for a range."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from techmatch.matcher.analytics.dockable import Best, dockable_best
from techmatch.matcher.batch import results
from techmatch.matcher.batch.plan import is_open
from techmatch.matcher.batch.results import RunRecord
from techmatch.matcher.dockings.kpis import COUNT_LABELS, KpiRow, kpi_report
from techmatch.models.plan_labels import CONFLICT_LABELS
from techmatch.models.programme import china_day
from techmatch.models.records import Need
from techmatch.store import Store

UNMATCHED_SHOWN = 12


@dataclass(frozen=True)
class Unmatched:
    """`best`: best stored confidence over the pairs that can dock (None: not computed);
    `conflict_label` when its confident pairs cannot dock (覆盖分析's `conflicted_only`)."""

    need: Need
    best: float | None
    conflict_label: str | None = None
    target: str = "achievement"  # the 匹配 tab `best` is from (人工匹配 opens it)


@dataclass
class Dashboard:
    open_needs: int
    unmatched: list[Unmatched]
    unmatched_total: int
    last_run: RunRecord | None
    unmatched_listed: int = 0  # of unmatched_total, those the viewer may see (not hidden)
    open_hidden: int = 0  # of open_needs, those hidden from the viewer (the list leaves out)
    kpis: KpiRow | None = None
    kpi_labels: dict[str, str] = field(default_factory=lambda: dict(COUNT_LABELS))


def in_range(moment: dt.datetime | str | None, start: dt.date, end: dt.date) -> bool:
    """True when a timestamp (datetime or ISO text) falls on a China (UTC+8) day in
    [start, end], as the KPIs count (`models.programme.china_day`: 2026-02-28T23:00Z is
    2026-03-01; a timestamp without a zone is UTC)."""
    if moment is None:
        return False
    when = moment if isinstance(moment, dt.datetime) else dt.datetime.fromisoformat(str(moment))
    return start <= china_day(when) <= end


def _unmatched(need: Need, best: Best | None, threshold: float) -> Unmatched:
    if best is None:
        return Unmatched(need, None)
    blocked = best.conflict is not None and (best.conflict_confidence or 0.0) >= threshold
    return Unmatched(need, best.confidence,
                     CONFLICT_LABELS[best.conflict] if blocked and best.conflict else None,
                     best.kind or "achievement")


def build_dashboard(store: Store, *, threshold: float, start: dt.date, end: dt.date,
                    hidden: frozenset[str]) -> Dashboard:
    """Counts over the store; `hidden` needs count but are not listed (nor in 另有 N 条)."""
    needs = [n for n in store.iter_records("need") if isinstance(n, Need)]
    open_needs = [n for n in needs if is_open(n)]
    best = dockable_best(store, {n.id: n for n in open_needs})
    weak = [_unmatched(n, best.get(n.id), threshold) for n in open_needs
            if n.id not in best or best[n.id].confidence < threshold]
    shown = [u for u in weak if u.need.id not in hidden]
    shown.sort(key=lambda u: (u.best if u.best is not None else -1.0, u.need.id))
    runs = results.runs(store, limit=1)
    kpis = kpi_report(store, start=start, end=end, by=["city"]).total
    return Dashboard(open_needs=len(open_needs), unmatched=shown[:UNMATCHED_SHOWN],
                     unmatched_total=len(weak),
                     last_run=results.as_shown(store, runs[0]) if runs else None, kpis=kpis,
                     unmatched_listed=len(shown),
                     open_hidden=sum(1 for n in open_needs if n.id in hidden))
