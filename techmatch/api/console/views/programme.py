"""项目看板 / 活动 / 培训策划 presenters: the programme dashboard as a metric × city grid with
target charts, events with their invitations, milestones with overdue flags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from techmatch.api.console.charts import target_bars
from techmatch.matcher.programme.dashboard import Dashboard, MetricCell, ScopeRow
from techmatch.matcher.programme.exports import note_text
from techmatch.matcher.roadshow import RoadshowPlan, expert_reason, invitee_reason
from techmatch.models.programme import (
    EVENT_STATUS_LABELS,
    EVENT_TYPE_LABELS,
    INVITATION_LABELS,
    METRIC_LABELS,
    METRICS,
    ROLE_LABELS,
    TEAM_TYPE_LABELS,
    Event,
    Milestone,
)

# the charted metrics: the ones pilot cities are usually given targets for
CHART_METRICS = ("teams_formed", "events.roadshow", "events.training", "enterprises_served",
                 "dockings_signed", "deal_value")
LABELS = {"event_type": EVENT_TYPE_LABELS, "event_status": EVENT_STATUS_LABELS,
          "invitation": INVITATION_LABELS, "participant_role": ROLE_LABELS,
          "team_type": TEAM_TYPE_LABELS, "metric": METRIC_LABELS}


@dataclass
class MetricRow:
    """One metric across the national scope and each city shown."""

    metric: str
    label: str
    cells: list[MetricCell]


@dataclass
class DashboardView:
    board: Dashboard
    scopes: list[ScopeRow]
    rows: list[MetricRow]
    charts: list[tuple[str, Markup]]
    notes: list[str]


def year_window(today: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


def dashboard_view(board: Dashboard) -> DashboardView:
    scopes = [board.national, *board.cities]
    rows = [MetricRow(m, METRIC_LABELS[m], [s.cell(m) for s in scopes]) for m in METRICS]
    charts = []
    for metric in CHART_METRICS:
        items = [(r.city, r.cell(metric).actual, r.cell(metric).target) for r in board.cities]
        caption = f"{METRIC_LABELS[metric]}：各城市实际（条）与目标（红线）"
        charts.append((METRIC_LABELS[metric],
                       target_bars(items, caption=caption, width=360) if items else Markup("")))
    return DashboardView(board=board, scopes=scopes, rows=rows, charts=charts,
                         notes=[note_text(n) for n in board.notes])


def ratio_text(cell: MetricCell) -> str:
    return "—" if cell.ratio is None else f"{cell.ratio:.0%}"


@dataclass
class MilestoneLine:
    milestone: Milestone
    overdue: bool
    days_late: int


def milestone_lines(milestones: list[Milestone], today: dt.date) -> list[MilestoneLine]:
    """Milestones by due date (ties by id), overdue ones flagged with their days late."""
    ordered = sorted(milestones, key=lambda m: (m.due, m.id))
    return [MilestoneLine(m, m.overdue(today), m.days_late(today)) for m in ordered]


def pending_invitations(event: Event) -> int:
    """Invitations that could still become dockings (need and achievement, no docking)."""
    return sum(1 for p in event.participants if p.role == "invitee" and p.need_id
               and p.achievement_id and not p.docking_id)


def participant_reasons(event: Event, titles: dict[str, str]) -> list[str]:
    """Each participant's reason in Chinese: a roadshow's invitations and presenters are worded
    from its saved plan (the stored reasons are the planner's English); others as stored."""
    if event.type != "roadshow" or not event.plan:
        return [p.reason for p in event.participants]
    plan = RoadshowPlan.model_validate(event.plan)
    invited = {(v.need_id, item.achievement_id): invitee_reason(v, titles)
               for item in plan.items for v in item.invitees}
    presenting = {(item.expert.expert_id, item.achievement_id): expert_reason(item.expert)
                  for item in plan.items if item.expert is not None}
    out = []
    for p in event.participants:
        if p.role == "invitee" and p.reason:
            out.append(invited.get((p.need_id or "", p.achievement_id or ""), p.reason))
        elif p.role == "presenter":
            out.append(presenting.get((p.ref or "", p.achievement_id or ""), p.reason))
        else:
            out.append(p.reason)
    return out
