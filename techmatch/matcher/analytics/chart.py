"""The coverage picture: unmatched / open needs per city × industry (heatmap) and the top
keywords of unmatched demand (bars), with Chinese labels in a CJK font."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from techmatch.fonts import cjk_font
from techmatch.matcher.analytics.coverage import CoverageReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def draw_coverage(report: CoverageReport, path: Path) -> Path:
    """Write the PNG; raises ConfigError (naming the Debian package) when no CJK font exists."""
    import matplotlib
    from matplotlib.figure import Figure

    font = cjk_font()
    cities = sorted({c.city for c in report.cells})
    industries = sorted({c.industry for c in report.cells})
    unmatched = np.zeros((len(cities), len(industries)))
    labels = np.full((len(cities), len(industries)), "", dtype=object)
    for cell in report.cells:
        i, j = cities.index(cell.city), industries.index(cell.industry)
        unmatched[i, j] = cell.unmatched
        labels[i, j] = f"{cell.unmatched}/{cell.open_needs}"
    with matplotlib.rc_context({"font.family": [font, "DejaVu Sans"],
                                "axes.unicode_minus": False}):
        fig = Figure(figsize=(14, max(4.8, 0.55 * len(cities) + 2.5)), dpi=110)
        heat, bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        _heatmap(heat, unmatched, labels, cities, industries)
        _keyword_bars(bars, report)
        fig.suptitle(f"需求覆盖与缺口（置信度阈值 {report.threshold:.2f}，"
                     f"未匹配 {report.totals['unmatched']} / 待匹配 "
                     f"{report.totals['open_needs']}）", fontsize=13)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    return path


def _heatmap(ax: Axes, values: np.ndarray, labels: np.ndarray, rows: list[str],
             cols: list[str]) -> None:
    ax.imshow(values, cmap="OrRd", aspect="auto", vmin=0, vmax=max(float(values.max()), 1.0))
    dark = 0.6 * max(float(values.max()), 1.0)
    ax.set_xticks(range(len(cols)), cols, rotation=40, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    for i in range(len(rows)):
        for j in range(len(cols)):
            if labels[i][j]:
                ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=9,
                        color="white" if values[i, j] > dark else "black")
    ax.set_title("各城市 × 行业 未匹配需求数 / 待匹配需求数")
    ax.set_xlabel("行业")
    ax.set_ylabel("城市")


def _keyword_bars(ax: Axes, report: CoverageReport) -> None:
    from matplotlib.ticker import MaxNLocator

    top = report.top_keywords[:15][::-1]
    rising = {t.keyword for t in report.rising}
    colors = ["#d62728" if kw in rising else "#1f77b4" for kw, _ in top]
    ax.barh([kw for kw, _ in top], [n for _, n in top], color=colors)
    ax.set_title("未匹配需求高频关键词（红色：较上次上升）")
    ax.set_xlabel("需求数")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if not top:
        ax.text(0.5, 0.5, "无未匹配需求", ha="center", va="center",
                transform=ax.transAxes)
