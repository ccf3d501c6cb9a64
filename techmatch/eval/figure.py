"""The report picture: metric bars per configuration and recall@k curves, Chinese labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from techmatch.fonts import cjk_font


def _axis_floor(values: Sequence[float]) -> float:
    """Start the bar axis near the data when every value is high (near-ceiling sets)."""
    low = min(values, default=0.0)
    return 0.0 if low < 0.5 else float(int((low - 0.05) * 10) / 10)


def draw_report(path: Path, *, title: str, configs: Mapping[str, Mapping[str, float]],
                curves: Mapping[str, Sequence[float]]) -> Path:
    """Write a PNG: left, grouped bars (metric × configuration); right, mean recall@k."""
    import matplotlib
    from matplotlib.figure import Figure

    font = cjk_font()
    names = list(configs)
    metrics = list(next(iter(configs.values()), {}))
    with matplotlib.rc_context({"font.family": [font, "DejaVu Sans"],
                                "axes.unicode_minus": False}):
        fig = Figure(figsize=(13, 5.2), dpi=110)
        bars, curve = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        width = 0.8 / max(len(names), 1)
        everything = [v for values in configs.values() for v in values.values()]
        floor = _axis_floor(everything)
        for i, name in enumerate(names):
            xs = [m + (i - (len(names) - 1) / 2) * width for m in range(len(metrics))]
            values = [configs[name][m] for m in metrics]
            drawn = bars.bar(xs, values, width=width * 0.95, label=name)
            bars.bar_label(drawn, labels=[f"{v:.3f}" for v in values], fontsize=6,
                           rotation=90, padding=2)
        bars.set_xticks(range(len(metrics)), metrics)
        bars.set_ylim(floor, 1.0 + (1.0 - floor) * 0.12)
        bars.set_ylabel("指标值" + (f"（纵轴从 {floor:.2f} 开始）" if floor > 0 else ""))
        bars.set_title("各配置的检索指标")
        for name, points in curves.items():
            curve.plot(range(1, len(points) + 1), points, label=name, linewidth=1.4)
        curve.set_xscale("log")
        curve.set_xlabel("k（返回结果数，对数刻度）")
        curve.set_ylabel("平均召回率 recall@k")
        curve.set_title("召回率随 k 的变化")
        curve.grid(True, alpha=0.3)
        handles, labels = bars.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=max(len(names), 1), fontsize=9,
                   frameon=False)
        fig.suptitle(title)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    return path
