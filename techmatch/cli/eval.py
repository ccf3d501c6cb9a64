"""Commands `eval` (score configurations on a BEIR set) and `tune` (grid-search fusion on dev)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from techmatch.cli.common import (
    HomeOpt,
    JsonOpt,
    cli_errors,
    log,
    print_json,
    progress,
    settings_for,
)
from techmatch.config import Settings
from techmatch.errors import ValidationError
from techmatch.eval.runner import DEFAULT_CONFIGS, DEFAULT_METRICS

if TYPE_CHECKING:
    from techmatch.eval.feedback_export import ExportReport

DatasetOpt = Annotated[Path, typer.Option("--dataset", help="BEIR folder (corpus.jsonl, "
                                          "queries.jsonl, qrels/<split>.tsv).")]
SplitOpt = Annotated[str, typer.Option("--split", help="Qrels split to use.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Report folder (default: inside "
                                             "the dataset's work folder).")]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", min=1, help="Encoder threads "
                                                "(default: TECHMATCH_THREADS, else every "
                                                "core).")]


def _settings(home: Path | None, threads: int | None) -> Settings:
    if threads is None and "TECHMATCH_THREADS" not in os.environ:
        threads = os.cpu_count() or 1  # an offline batch job may use every core
    return settings_for(home, new_home=True, threads=threads)


def _check_out(out: Path | None) -> None:
    """--out must be a folder (or not exist yet): checked before the run, not after it."""
    if out is not None and out.exists() and not out.is_dir():
        raise ValidationError(f"{out} 是一个文件：请给出存放报告文件的文件夹",
                              field="out")


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    except OSError:
        return 0  # load_dataset reports the missing file


def eval_command(
        dataset: DatasetOpt, split: SplitOpt = "dev",
        retrievers: Annotated[str, typer.Option(
            "--retrievers", help="Configurations, comma-separated; add `ranker` to score "
            "the model `train-ranker` saved (train on --half 1, score --half 2).")] =
        ",".join(DEFAULT_CONFIGS),
        metrics: Annotated[str, typer.Option("--metrics", help="Comma-separated.")] =
        ",".join(DEFAULT_METRICS),
        baseline: Annotated[str, typer.Option("--baseline", help="Configuration the others "
                                              "are tested against.")] = "lexical",
        out: OutOpt = None, json_out: JsonOpt = False, home: HomeOpt = None,
        threads: ThreadsOpt = None,
        trials: Annotated[int, typer.Option(help="Randomisation-test trials.")] = 10_000,
        seed: Annotated[int, typer.Option(help="Seed of the randomisation test.")] = 0,
        half: Annotated[int | None, typer.Option(
            help="Score only half 1 or 2 of the queries, split as `train-ranker --half` "
                 "splits them (train on one half, evaluate `ranker` on the other).")] = None
        ) -> None:
    """Score retrieval configurations on a BEIR set; write report.md/.json/.png."""
    from techmatch.eval.report import write_report
    from techmatch.eval.runner import EvalOptions, run_evaluation, summary, workspace_path

    with cli_errors():
        _check_out(out)
        settings = _settings(home, threads)
        options = EvalOptions(split=split, configs=tuple(retrievers.split(",")),
                              metrics=tuple(metrics.split(",")), baseline=baseline,
                              trials=trials, seed=seed, half=half)
        with progress("建索引", _count_lines(dataset / "corpus.jsonl")) as advance:
            report = run_evaluation(dataset, settings, options, progress=advance)
        if out is None:
            from techmatch.eval.datasets import load_dataset

            name = f"report-{split}" + (f"-half{half}" if half else "")  # halves apart
            out = workspace_path(settings, load_dataset(dataset, split))[0] / name
        paths = write_report(report, out)
        log.info("report written to %s", paths["md"])
        if json_out:
            print_json({**summary(report), "report": str(paths["md"])})
        else:
            typer.echo(_table(report))
            typer.echo(f"报告：{paths['md']}")


def _table(report: dict) -> str:
    configs = report["configs"]
    metrics = list(next(iter(configs.values()), {}))
    first = max(18, *(len(n) + 1 for n in configs))
    col = max(12, *(len(m) + 1 for m in metrics))  # a space before each column
    lines = [f"{report['dataset']} / {report['split']}：{report['queries']} 条查询",
             "配置".ljust(first - 2) + "".join(m.rjust(col) for m in metrics)  # 2 wide chars
             + "1-nDCG@10".rjust(col)]
    for name, values in configs.items():
        lines.append(name.ljust(first) + "".join(f"{values[m]:{col}.4f}" for m in metrics)
                     + f"{report['failures'][name]['1-ndcg@10']:{col}.4f}")
    return "\n".join(lines)


def tune_command(
        dataset: DatasetOpt, split: SplitOpt = "dev",
        folds: Annotated[int, typer.Option("--folds", help="> 1: also report a held-out "
                                           "estimate by cross-validation.")] = 1,
        seed: Annotated[int, typer.Option(help="Seed of the fold split.")] = 0,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Do not save the "
                                              "winner.")] = False,
        out: OutOpt = None, json_out: JsonOpt = False, home: HomeOpt = None,
        threads: ThreadsOpt = None) -> None:
    """Grid-search fusion parameters on the dev split and save the winner as the default."""
    from techmatch.eval.datasets import load_dataset
    from techmatch.eval.report import write_tune_report
    from techmatch.eval.runner import workspace_path
    from techmatch.eval.tune import run_tuning

    with cli_errors():
        _check_out(out)
        settings = _settings(home, threads)
        report = run_tuning(dataset, settings, split=split, folds=folds, seed=seed,
                            save=not dry_run)
        if out is None:
            out = workspace_path(settings, load_dataset(dataset, split))[0] / f"tune-{split}"
        paths = write_tune_report(report, out)
        if json_out:
            print_json({k: v for k, v in report.items() if k != "grid"} |
                       {"report": str(paths["md"])})
        else:
            typer.echo(paths["md"].read_text(encoding="utf-8"))


def loso_command(
        dataset: Annotated[list[Path], typer.Option(
            "--dataset", help="BEIR folder; give two or more (each is held out in turn).")],
        train_set: Annotated[list[Path] | None, typer.Option(
            "--train-set", help="BEIR folder fitted on in every fold and in the shipped fit, "
                                "never held out (repeatable).")] = None,
        split: SplitOpt = "dev",
        save_shipped: Annotated[bool, typer.Option(
            "--save-shipped", help="Also fit on every set together and write the package's "
                                   "shipped default model (techmatch/resources).")] = False,
        shipped_out: Annotated[Path | None, typer.Option(
            "--shipped-out", help="Write the model fitted on every set here instead of "
                                  "into the package.")] = None,
        trials: Annotated[int, typer.Option(help="Randomisation-test trials.")] = 10_000,
        seed: Annotated[int, typer.Option(help="Seed of splits, folds and the test.")] = 0,
        features: Annotated[str | None, typer.Option(
            "--features", help="Fit only these ranking features (comma-separated), e.g. "
                               "hybrid_mm: the weighted hybrid, only its scale fitted.")] = None,
        objective: Annotated[str, typer.Option(
            "--objective", help="pointwise (logistic on rows) or pairwise (on within-query "
                                "differences).")] = "pointwise",
        half: Annotated[int | None, typer.Option(
            "--half", help="In-distribution check instead: fit on this half (1 or 2) of every "
                           "set, score the other half of each.")] = None,
        json_out: JsonOpt = False, home: HomeOpt = None, threads: ThreadsOpt = None) -> None:
    """Leave-one-set-out: train the ranker on all sets but one, score it on that one against
    the best untrained configuration."""
    from techmatch.eval.loso import (
        LosoOptions,
        in_distribution,
        leave_one_set_out,
        summary,
        train_on_sets,
    )
    from techmatch.eval.loso import save_shipped as write_shipped
    from techmatch.matcher.shipped import shipped_path
    from techmatch.matcher.train import TrainOptions

    with cli_errors():
        settings = _settings(home, threads)
        only = tuple(f.strip() for f in features.split(",") if f.strip()) if features else None
        options = LosoOptions(split=split, train=TrainOptions(seed=seed, features=only,
                                                              objective=objective),
                              trials=trials, seed=seed, half=half)
        fit_all = save_shipped or shipped_out is not None
        if shipped_out is not None and not shipped_out.parent.is_dir():  # before the fits
            raise ValidationError(f"文件夹 {shipped_out.parent} 不存在",
                                  field="shipped-out")
        full: dict[str, Any]
        if train_set and (half is not None or len(dataset) < 2):
            raise ValidationError("需要两个或更多 --dataset，且不能与 --half 同用",
                                  field="train-set")
        if half is not None:
            if fit_all:
                raise ValidationError("--half 只在一半查询上拟合，不能作为随包发布的模型",
                                      field="half")
            full = in_distribution(dataset, settings, options)
        elif len(dataset) == 1 and fit_all:  # nothing to hold out: only fit the shipped model
            full = {"split": split, "folds": [],
                    "model_all": train_on_sets(dataset, settings, split=split,
                                               options=options.train)}
        else:
            full = leave_one_set_out(dataset, settings, options, fit_all=fit_all,
                                     train_only=train_set or ())
        report = summary(full)
        if fit_all:
            model = full["model_all"]
            target = shipped_out or shipped_path()
            report["shipped"] = {"path": str(write_shipped(model, target)),
                                 "trained_on": model.trained_on,
                                 "c": model.models["achievement"].metrics.get("c")}
        if json_out:
            print_json(report)
            return
        _print_loso(report)


def _print_loso(report: dict[str, Any]) -> None:
    for fold in report["folds"]:
        test = fold["ranker_vs_best"]["ndcg_exp@10"]
        typer.echo(f"{fold['dataset']}（训练集 {', '.join(fold['trained_on'])}；"
                   f"{fold['queries']} 条查询）")
        width = max(map(len, fold["configs"])) + 1  # a space after the longest name
        for name, values in fold["configs"].items():
            typer.echo(f"  {name:<{width}}" + "  ".join(f"{m} {v:.4f}"
                                                       for m, v in values.items()))
        typer.echo(f"  ranker 相对 {fold['best_untrained']}：nDCG_exp@10 {test['delta']:+.4f}，"
                   f"p = {test['p_randomization']:.4f} / {test['p_ttest']:.2g}"
                   f"（随机化检验 / t 检验）")


def export_feedback_command(
        out: Annotated[Path, typer.Option("--out", help="Folder for the BEIR files.")],
        split: Annotated[str, typer.Option(help="Name of the qrels split file.")] = "test",
        home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Export stored feedback as a BEIR set (qrels, queries, corpus) for `eval`/`train-ranker`."""
    from techmatch.eval.feedback_export import export_feedback
    from techmatch.store.factory import open_store

    with cli_errors():
        settings = settings_for(home)
        report = export_feedback(open_store(settings), out, split=split)
        if json_out:
            print_json(report.as_dict())
        else:
            _print_export(report)


def _print_export(report: ExportReport) -> None:
    """What `export-feedback` wrote and what it left out, for staff (zh-CN)."""
    typer.echo(f"已导出 {report.pairs} 对需求→成果、{report.expert_pairs} 对需求→专家的判断"
               f"（{report.queries} 个需求）到 {report.path}")
    gone = [f"需求 {q}" for q in report.missing_queries] + \
        [f"候选 {c}" for c in report.missing_candidates]
    if gone:
        typer.echo("记录已删除、未导出：" + "、".join(gone))
    if report.skipped_labels:
        typer.echo("无法识别的旧标签、未导出：" + "、".join(
            f"{label} {n} 条" for label, n in sorted(report.skipped_labels.items())))


def register(app: typer.Typer) -> None:
    app.command("export-feedback")(export_feedback_command)
    app.command("eval")(eval_command)
    app.command("tune")(tune_command)
    app.command("loso")(loso_command)
