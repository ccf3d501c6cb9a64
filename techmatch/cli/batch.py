"""Commands of the nightly job and its analytics: `batch` and `stats`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json, progress, settings_for
from techmatch.errors import ValidationError
from techmatch.matcher.engine import Engine
from techmatch.models.records import KIND_LABELS

if TYPE_CHECKING:
    from techmatch.matcher.batch import BatchSummary

KindsOpt = Annotated[str, typer.Option("--kinds", help="Target kinds, comma separated.")]


def batch(kinds: KindsOpt = "achievement,expert",
          k: Annotated[int, typer.Option("--k", "-k", help="Hits kept per need.")] = 10,
          full: Annotated[bool, typer.Option("--full", help="Recompute every open need.")]
          = False,
          chunk: Annotated[int, typer.Option("--chunk", help="Needs per committed chunk.")] = 32,
          explain: Annotated[bool, typer.Option(
              "--explain/--no-explain", help="Store an explanation with every hit.")] = True,
          workers: Annotated[int, typer.Option(
              "--workers", help="Worker processes matching chunks (0: one per CPU; 1: none). "
                                "Results are the same for any number.")] = 0,
          export: Annotated[Path | None, typer.Option(
              "--export", help="Also write the results to DIR as JSONL, CSV and XLSX.")] = None,
          home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Match every open need that may have changed (incremental, resumable, locked).

    Exit codes: 0 done, 2 bad option, 4 index problem, 6 another run holds the lock.
    """
    from techmatch.matcher.batch import BatchOptions, export_results, run_batch

    with cli_errors():
        options = BatchOptions(kinds=tuple(p.strip() for p in kinds.split(",") if p.strip()),
                               k=k, full=full, chunk=chunk, explain=explain,
                               workers=workers)
        if export is not None and export.exists() and not export.is_dir():
            raise ValidationError("不是文件夹（结果以 batch-results.jsonl / .csv / .xlsx "
                                  "写入其中）", source=str(export),
                                  field="export")
        engine = Engine.open(settings_for(home))
        try:
            summary = run_batch(engine, options, progress=progress)
            paths = export_results(engine.store, export, kinds=options.kinds) if export else {}
        finally:
            engine.close()
        out = summary.as_dict()
        if paths:
            out["exported"] = {fmt: str(p) for fmt, p in paths.items()}
        if json_out:
            print_json(out)
            return
        for line in summary_lines(summary, options.kinds, paths):
            typer.echo(line)


def summary_lines(summary: BatchSummary, kinds: Sequence[str],
                  paths: Mapping[str, Path]) -> list[str]:
    """The printed summary (what the cron log shows staff): run, counts per target kind with
    the reasons, exported files."""
    from techmatch.matcher.batch.plan import REASON_LABELS
    from techmatch.matcher.batch.results import COUNT_LABELS

    fresh_label = COUNT_LABELS["skipped_fresh"]
    open_needs = summary.recomputed + summary.skipped + summary.skipped_fresh
    fresh = (f"，{fresh_label} {summary.skipped_fresh} 条（本次未写入其结果）"
             if summary.skipped_fresh else "")
    done = ("没有待匹配需求（请确认 --home / TECHMATCH_HOME 指向的数据目录）" if not open_needs
            else f"自上次运行以来没有变化，{open_needs} 条待匹配需求均未重算"
            if not summary.recomputed and not summary.skipped_fresh
            else f"重算 {summary.recomputed} 条待匹配需求（共 {open_needs} 条），"
                 f"跳过 {summary.skipped} 条{fresh}")
    resumed = "（续跑中断的运行）" if summary.resumed else ""
    lines = [f"批量匹配 {summary.run_id}{resumed}：{done}，用时 {summary.seconds:.1f} 秒"]
    for kind in kinds:
        c = summary.counts.get(kind, {})
        why = "、".join(f"{REASON_LABELS.get(r, r)} {n} 条"
                        for r, n in sorted(c.get("reasons", {}).items()))
        kind_fresh = (f"，{fresh_label} {c['skipped_fresh']} 条" if c.get("skipped_fresh")
                      else "")
        lines.append(f"  {KIND_LABELS.get(kind, kind)}：重算 {c.get('recomputed', 0)} 条，"
                     f"跳过 {c.get('skipped', 0)} 条{kind_fresh}，提交 {c.get('chunks', 0)} 批"
                     + (f"；原因：{why}" if why else ""))
    lines.extend(f"  已导出 {fmt.upper()}：{path}" for fmt, path in paths.items())
    return lines


def stats(threshold: Annotated[float | None, typer.Option(
              "--threshold", help="Confident-match threshold (default: settings).")] = None,
          out: Annotated[Path | None, typer.Option(
              "--out", help="Write stats.json, stats.md and stats.png to DIR.")] = None,
          kinds: KindsOpt = "achievement,expert",
          industry_level: Annotated[int | None, typer.Option(
              min=1, max=3, help="Roll industries up the taxonomy (1 = the 9 top "
                                 "categories).")] = None,
          home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Coverage per city × industry, unmatched needs, and topics of unmet demand.

    A need is matched when its best stored confidence over `--kinds` reaches the threshold,
    counting only pairs that can dock (not the enterprise's own result, nor an expert it
    employs or who excluded it: those needs are listed as 可信候选均不宜对接).
    """
    from techmatch.indexers.tokenize import Tokenizer
    from techmatch.matcher.analytics import coverage_report, write_report
    from techmatch.matcher.analytics.report import markdown
    from techmatch.store.factory import open_store

    with cli_errors():
        settings = settings_for(home)
        store = open_store(settings)  # no encoder needed: stats reads the store
        try:
            tokenizer = Tokenizer(user_dict=settings.user_dict, stopwords=settings.stopwords)
            limit = settings.confidence_threshold if threshold is None else threshold
            targets = [p.strip() for p in kinds.split(",") if p.strip()]
            report = coverage_report(store, tokenizer, threshold=limit, kinds=targets,
                                     industry_level=industry_level)
        finally:
            store.close()
        paths = write_report(report, out) if out else {}
        if json_out:
            data = report.as_dict()
            data["files"] = {name: str(p) for name, p in paths.items()}
            print_json(data)
            return
        typer.echo(markdown(report))
        for name, path in paths.items():
            typer.echo(f"已写入 {name}：{path}")


def register(app: typer.Typer) -> None:
    app.command()(batch)
    app.command()(stats)
