"""Dashboard exports: XLSX with Chinese headers, a PNG chart (CJK font), and the JSON form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from techmatch.fonts import cjk_font
from techmatch.matcher.programme.dashboard import Dashboard, ScopeRow
from techmatch.models.programme import METRIC_LABELS
from techmatch.xlsx import Sheet, write_sheets

SIGNING_DAY = ("合同的签约日期（北京时间日期）；未填签约日期的（如反馈“成交”）按签约操作当天的"
               "北京时间（UTC+8）日期")  # as the docking KPIs (kpis.deal_day)
CHART_METRICS: tuple[str, ...] = ("events", "enterprises_served", "dockings_signed", "deal_value")


def _pct(ratio: float | None) -> float | None:
    """完成率 in percent as a number (133.3), so a sheet sorts and sums it."""
    return None if ratio is None else round(ratio * 100, 1)


def note_text(note: str) -> str:
    """A dashboard note in Chinese: its leading metric code (`deal_value: …`) labelled
    (the console page and the XLSX both show it so; the JSON keeps the code)."""
    code, sep, rest = note.partition(":")
    return f"{METRIC_LABELS[code]}：{rest.strip()}" if sep and code in METRIC_LABELS else note


def _scope_rows(rows: list[ScopeRow]) -> list[list[Any]]:
    return [[r.city, r.batch, c.label, c.metric, c.actual, c.target, _pct(c.ratio)]
            for r in rows for c in r.cells]


def dashboard_sheets(board: Dashboard) -> list[Sheet]:
    """The dashboard as spreadsheet tables (Chinese headers; metric codes kept beside)."""
    metric_head = ["城市", "试点批次", "指标", "指标代码", "实际", "目标", "完成率（%）"]
    events = [[e.id, e.type_label, e.title, e.date, e.city, e.industry, e.team_id,
               "是" if e.overseas else "否", e.status_label,
               e.invitations, e.dockings, e.signed, e.deal_value] for e in board.events]
    industry = [[r.label, r.events, r.dockings_signed, r.deal_value] for r in board.by_industry]
    teams = [[r.key, r.label, r.events, r.dispatches, r.dockings_signed, r.deal_value]
             for r in board.by_team]
    overdue = [[o.milestone.id, o.milestone.city, o.milestone.title, o.milestone.due,
                o.days_late, o.milestone.owner] for o in board.overdue]
    summary: list[list[Any]] = [["城市", board.city or "全部城市"],
                                ["开始日期", board.start], ["结束日期", board.end],
                                ["统计日", board.today], ["签约计入日", SIGNING_DAY],
                                *[["说明", note_text(n)] for n in board.notes]]
    return [
        Sheet("全国汇总", metric_head, _scope_rows([board.national]), widths=(10, 8, 20, 20)),
        Sheet("城市指标", metric_head, _scope_rows(board.cities), widths=(10, 8, 20, 20)),
        Sheet("行业", ["行业（战略性新兴产业大类）", "活动场次", "签约对接数", "签约金额（万元）"],
              industry, widths=(26,)),
        Sheet("服务团队", ["团队编号", "团队名称", "活动场次", "派出次数", "签约对接数",
                       "签约金额（万元）"], teams),
        Sheet("活动", ["活动编号", "类型", "名称", "日期", "城市", "行业", "服务团队", "海外专项",
                     "状态", "邀请企业数", "转对接数", "签约数", "签约金额（万元）"], events),
        Sheet("超期节点", ["节点编号", "城市", "节点", "截止日期", "超期天数", "负责人"], overdue),
        Sheet("概要", ["项目", "值"], summary),
    ]


def write_dashboard_xlsx(board: Dashboard, path: Path) -> Path:
    write_sheets(path, dashboard_sheets(board))
    return path


def draw_dashboard(board: Dashboard, path: Path) -> Path:
    """Bars of actual per city with target ticks, one panel per key metric (PNG)."""
    import matplotlib

    with matplotlib.rc_context({"font.family": [cjk_font(), "DejaVu Sans"],
                                "axes.unicode_minus": False}):
        fig = dashboard_figure(board)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    return path


def dashboard_figure(board: Dashboard) -> Any:
    """The chart `draw_dashboard` saves: a count's axis (活动场次, 服务企业数, 签约对接数) has whole
    ticks and every axis starts at 0 — a panel with nothing yet read −0.04 … 0.04, and one of
    2 deals 0.25, 0.50 … 1.75."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    cities = [r.city for r in board.cities] or ["—"]
    fig = Figure(figsize=(12, 8), dpi=100)
    axes = fig.subplots(2, 2).ravel()
    for ax, metric in zip(axes, CHART_METRICS, strict=True):
        actual = [r.cell(metric).actual for r in board.cities] or [0.0]
        target = [r.cell(metric).target for r in board.cities] or [None]
        xs = range(len(cities))
        ax.bar(xs, actual, color="#1f77b4", label="实际")
        marks = [(x, t) for x, t in zip(xs, target, strict=True) if t is not None]
        if marks:
            ax.scatter([x for x, _ in marks], [t for _, t in marks], marker="_", s=600,
                       color="#d62728", linewidths=3, label="目标", zorder=3)
        top = max([*actual, *(t for _, t in marks)], default=0.0)
        ax.set_ylim(0, top * 1.1 if top > 0 else 1)
        if metric != "deal_value":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xticks(list(xs), cities, rotation=30, ha="right")
        ax.set_title(METRIC_LABELS[metric])
        ax.legend(loc="upper right", fontsize=8)
    fig.suptitle(f"科创中国 绩效看板 {board.city or '全部城市'} {board.start} — {board.end}",
                 fontsize=13)
    fig.tight_layout()
    return fig
