"""Evaluation report files: report.json (everything), report.md (tables), report.png (picture).

The Markdown is for staff (zh-CN); configuration, metric and parameter names stay codes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from techmatch.eval.configs import RANKER_MODELS
from techmatch.eval.figure import draw_report

FAILING_SHOWN = 20


def write_report(report: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write the three files into `out` (created); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "md": out / "report.md", "png": out / "report.png"}
    _write_text(paths["json"], json.dumps(report, ensure_ascii=False, indent=2, default=str))
    draw_report(paths["png"], title=f"{report['dataset']} · {report['split']} · "
                f"{report['queries']} 条查询", configs=report["configs"],
                curves=report["recall_curve"])
    _write_text(paths["md"], render_markdown(report, picture=paths["png"].name))
    return paths


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(report: dict[str, Any], *, picture: str = "report.png") -> str:
    """The human-readable report."""
    configs: dict[str, dict[str, float]] = report["configs"]
    metrics = list(next(iter(configs.values()), {}))
    failures = report["failures"]
    half = f"（第 {report['half']} 半查询）" if report.get("half") else ""
    lines = [f"# 评估：{report['dataset']} / {report['split']}{half}", "",
             f"{report['queries']} 条查询 · {report['corpus']['records']} 条记录 · 编码器 "
             f"{report['settings'].get('encoder_id', report['settings']['encoder'])} · "
             f"每次检索取前 k={report['settings']['k']} · "
             f"用时 {report.get('seconds', '?')} 秒", "", f"![指标]({picture})", "",
             "## 指标", ""]
    rows = [[name, *(f"{values[m]:.4f}" for m in metrics),
             f"{failures[name]['1-ndcg@10']:.4f}",
             f"{failures[name]['1-ndcg_exp@10']:.4f}",
             str(failures[name]["count"])]
            for name, values in configs.items()]
    lines += _table(["配置", *metrics, "1 − nDCG@10", "1 − nDCG_exp@10",
                     "未满分查询（nDCG@10 < 1）"], rows)
    lines += ["", *_significance(report, metrics), "", *_params(report)]
    if "experts" in report:
        lines += ["", *_experts(report["experts"])]
    if "abstention" in report:
        lines += ["", *_abstention(report["abstention"])]
    lines += ["", *_failing(report)]
    if report.get("notes"):
        lines += ["", "## 说明", "", *(f"- {note}" for note in report["notes"])]
    return "\n".join(lines) + "\n"


def _significance(report: dict[str, Any], metrics: list[str]) -> list[str]:
    sig = report["significance"]
    lines = [f"## 相对 `{sig['baseline']}` 的显著性", "",
             "Δ 为均值之差；括号内 p 值依次来自配对随机化检验 / 配对 t 检验。", ""]
    if not sig["tests"]:
        return lines + ["除基线外没有运行其他配置。"]
    rows = [[name, *(f"{t[m]['delta']:+.4f} ({t[m]['p_randomization']:.3g} / "
                     f"{t[m]['p_ttest']:.3g})" for m in metrics)]
            for name, t in sig["tests"].items()]
    return lines + _table(["配置", *metrics], rows)


# Retrieval parameters each mode / fusion ignores (left out of the reports).
_UNUSED = {"lexical": ("fusion", "rrf_k", "normalization", "lexical_weight"),
           "dense": ("fusion", "rrf_k", "normalization", "lexical_weight"),
           "rrf": ("normalization", "lexical_weight"), "weighted": ("rrf_k",)}


def shown_params(params: dict[str, Any]) -> str:
    """`k=v, …` of the retrieval parameters the configuration uses."""
    unused = _UNUSED.get(params.get("mode", ""), ()) or \
        _UNUSED.get(params.get("fusion", ""), ())
    return ", ".join(f"{k}={v}" for k, v in params.items() if k not in unused)


def _params(report: dict[str, Any]) -> list[str]:
    lines = ["## 配置参数", ""]
    for name, params in report.get("params", {}).items():
        lines.append(f"- `{name}`: {shown_params(params)}")
    return lines


def _experts(experts: dict[str, Any]) -> list[str]:
    lines = ["## 需求 → 专家", "",
             f"按代表成果的相关度，为 {experts['queries']} 条查询排序 {experts['experts']} 位"
             f"专家。相关性判断：{experts['relevance']}。", ""]
    configs = experts.get("configs") or {experts["config"]: experts["metrics"]}
    names = list(experts["metrics"])
    tests = experts.get("significance", {}).get("tests", {})
    rows = []
    for config, values in configs.items():
        p = {m: tests.get(config, {}).get(m, {}).get("p_randomization") for m in names}
        rows.append([config, *[f"{values[m]:.4f}" + (f" (p={p[m]:.4f})" if p[m] is not None
                                                      else "") for m in names]])
    lines += _table(["配置", *names], rows)
    calibration = experts.get("calibration") or {}
    if calibration:
        lines += ["", "置信度校准（ECE；下限：置信度相同、样本对同样少时，完全校准的模型"
                      "也会呈现的 ECE；去偏：Kumar 等 2019 的去偏 ℓ2 校准误差，完全校准时约为 0；"
                      "区间：按查询重抽样的 ECE 90% bootstrap 区间）：", ""]
        lines += _table(["配置", "ECE top-1", "下限", "去偏", "90% 区间", "ECE top-10", "下限",
                         "去偏", "90% 区间", "样本对"],
                        [[name, *_errors(c, "ece_top1"), *_errors(c, "ece_top10"),
                          str(c.get("pairs", ""))] for name, c in calibration.items()])
    return lines


def _errors(c: dict[str, Any], name: str) -> list[str]:
    """ECE, floor, debiased error and interval of one calibration row ("-" when absent)."""
    interval = c.get(f"{name}_interval")
    return [_fmt(c.get(name)), _fmt(c.get(f"{name}_floor")), _fmt(c.get(f"{name}_debiased")),
            f"{interval[0]:.4f}–{interval[1]:.4f}" if interval else "-"]


def _abstention(abstention: dict[str, Any]) -> list[str]:
    lines = ["## 无合适匹配（转人工）", ""]
    if not abstention:
        return lines + [f"由排序模型配置（{'、'.join(RANKER_MODELS)}）测量；本次没有运行。"]
    rows = []
    for name, a in abstention.items():
        rows.append([name, str(a["answerable"]), str(a["unanswerable"]), f"{a['threshold']:g}",
                     _fmt(a["auroc"]), _fmt(a["routed_unanswerable"]),
                     _fmt(a["routed_answerable"]), _fmt(a["ece_top1"]),
                     _fmt(a.get("ece_top10"))])
    return lines + _table(["配置", "有答案", "无答案", "阈值", "AUROC",
                           "转人工（无答案）", "转人工（有答案）", "ECE top-1",
                           "ECE top-10"], rows)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _failing(report: dict[str, Any]) -> list[str]:
    failures = report["failures"]
    name = "default" if "default" in failures else list(failures)[-1]
    rows = failures[name]["queries"]
    lines = [f"## `{name}` 未满分的查询（{len(rows)} 条；列出最差的 {FAILING_SHOWN} 条，全部见 "
             f"report.json）", ""]
    table = [[row["id"], row["text"][:60].replace("|", "\\|"), f"{row['ndcg@10']:.3f}",
              str(row["first_relevant_rank"] or "—"), ", ".join(row["top"])]
             for row in rows[:FAILING_SHOWN]]
    if not table:
        return lines + ["无。"]
    return lines + _table(["查询", "文本", "nDCG@10", "首个相关结果的名次", "前 3 名"], table)


def write_tune_report(report: dict[str, Any], out: Path) -> dict[str, Path]:
    """tune.json (every grid point) and tune.md (winner, splits, held-out estimate)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "tune.json", "md": out / "tune.md"}
    _write_text(paths["json"], json.dumps(report, ensure_ascii=False, indent=2, default=str))
    best = shown_params(report["best"])
    lines = [f"# 调参：{report['dataset']} / {report['split']}", "",
             f"{report['queries']} 条查询 · {report['grid_points']} 个网格点 · 目标 "
             f"{report['objective']} · 用时 {report.get('seconds', '?')} 秒", "",
             f"最优参数：{best}", ""]
    for split, setups in report["splits"].items():
        metrics = list(next(iter(setups.values()), {}))
        lines += [f"## {split} 划分", ""]
        lines += _table(["设置", *metrics], [[name, *(f"{v[m]:.4f}" for m in metrics)]
                                              for name, v in setups.items()])
        lines.append("")
    if "cross_validation" in report:
        cv = report["cross_validation"]
        lines += [f"## {cv['folds']} 折交叉验证（种子 {cv['seed']}）", "",
                  f"留出 {report['objective']}：{cv['held_out']:.4f}", ""]
        lines += _table(["折", "查询", "训练", "留出", "选中的参数"],
                        [[str(r["fold"]), str(r["queries"]), f"{r['train']:.4f}",
                          f"{r['held_out']:.4f}", shown_params(r["params"])]
                         for r in cv["per_fold"]])
        lines.append("")
    if report.get("note"):
        lines += [f"说明：{report['note']}", ""]
    if report.get("saved_to"):
        lines += [f"已保存到 `{report['saved_to']}`。", ""]
    _write_text(paths["md"], "\n".join(lines))
    return paths
