"""评估 presenter: the latest evaluation reports written by `techmatch eval` under the home."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from techmatch.api.console.charts import bar_list

REPORTS_SHOWN = 5
CHART_METRIC = "ndcg@10"
# The configurations `techmatch eval --retrievers` takes (eval.configs.CONFIGS), in Chinese;
# the page shows the code beside each (an unknown code is shown as it is).
CONFIG_LABELS: dict[str, str] = {
    "lexical": "关键词检索", "lexical-untranslated": "关键词检索（不翻译查询）",
    "dense": "语义检索", "hybrid-rrf": "混合检索（RRF 融合）",
    "hybrid-weighted": "混合检索（加权融合）", "default": "默认检索参数",
    "ranker": "排序模型（本库训练）", "ranker-default": "排序模型（随包默认）",
    "ranker-untrained": "排序模型（未训练）",
}


def config_label(name: str) -> str:
    return CONFIG_LABELS.get(name, name)


@dataclass
class EvalReport:
    path: Path
    data: dict[str, Any]
    metrics: list[str]
    chart: Markup
    labels: dict[str, str] = field(default_factory=dict)  # configuration code → Chinese


def find_reports(home: Path, limit: int = REPORTS_SHOWN) -> list[Path]:
    """`report.json` files under `<home>/eval/`, newest first (ties by path)."""
    folder = home / "eval"
    if not folder.is_dir():
        return []
    found = [(p.stat().st_mtime, str(p), p) for p in folder.glob("*/*/report.json")]
    return [p for _, _, p in sorted(found, key=lambda t: (-t[0], t[1]))[:limit]]


def load_report(path: Path) -> EvalReport | None:
    """The report with its metric names and a bar chart of CHART_METRIC (None if unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        configs: dict[str, dict[str, float]] = data["configs"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    metrics = list(next(iter(configs.values()), {}))
    shown = CHART_METRIC if CHART_METRIC in metrics else (metrics[0] if metrics else "")
    chart = bar_list([(config_label(name), float(values.get(shown, 0.0)))
                      for name, values in configs.items()],
                     caption=f"各配置 {shown}", fmt="{:.4f}") if shown else Markup("")
    names = [*configs, str((data.get("significance") or {}).get("baseline") or "")]
    return EvalReport(path, data, metrics, chart, {n: config_label(n) for n in names if n})
