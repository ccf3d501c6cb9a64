"""Leave-one-set-out: train the ranker on some BEIR sets, score it on a set it never saw.

The issue's standard check of generalisation across query styles (keyword lists, titles, ...):
for each held-out set, the ranker is fitted on the labelled queries of every other set (a
mixture: their rows are pooled, query ids prefixed by the set name so that folds stay grouped
by query) and scored on the held-out set beside every untrained configuration; the trained
ranker is tested (paired randomisation and t-test) against the best untrained configuration on
that set, chosen on the held-out set itself by `SELECT_METRIC` (which favours the baseline).

`train_on_sets` is also what fits the shipped default model (techmatch.matcher.shipped) on all
the sets at once.

`in_distribution` is the check beside it: fitted on half 1 (or 2) of every set's queries
together (the fixed split `train-ranker --half` / `eval --half` use), scored on the other half
of each set, against the best untrained configuration on that half (`loso --half N`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from techmatch.config import Settings
from techmatch.errors import ValidationError
from techmatch.eval.configs import CONFIGS
from techmatch.eval.datasets import load_dataset
from techmatch.eval.metrics import evaluate, mean, parse_metrics
from techmatch.eval.runner import (
    KIND,
    EvalOptions,
    build_context,
    open_workspace,
    score_runs,
    skipped_queries,
)
from techmatch.matcher.scorer import RankerModel, save_model
from techmatch.matcher.train import (
    PairRows,
    TrainOptions,
    collect_rows,
    fit_rows,
    needs_from_queries,
    query_half,
    split_queries,
)

log = logging.getLogger(__name__)

# `ranker-untrained`, not `ranker-default`: the shipped model was fitted on the dev sets.
UNTRAINED = ("lexical", "dense", "hybrid-rrf", "hybrid-weighted", "ranker-untrained")
SELECT_METRIC = "ndcg_exp@10"  # the gain of the reference numbers
METRICS = ("ndcg_exp@10", "ndcg@10", "mrr@10", "recall@100")
LOSO_DIR = "loso"
# what the dev sets cannot teach (their queries carry no facets): see keep_untaught
UNTAUGHT = ("discipline", "industry", "region", "maturity", "recency")


@dataclass(frozen=True)
class LosoOptions:
    split: str = "dev"
    train: TrainOptions = field(default_factory=TrainOptions)
    untrained: tuple[str, ...] = UNTRAINED
    metrics: tuple[str, ...] = METRICS
    trials: int = 10_000
    seed: int = 0
    half: int | None = None  # in_distribution: fit on this half of every set


def set_rows(dataset_dir: Path, settings: Settings, split: str, opts: TrainOptions,
             half: int | None = None) -> tuple[PairRows, list[str], list[str], str]:
    """Feature rows of one set's labelled queries (ids prefixed `<set>/`; only half `half` of
    them when given), the prefixed ids kept for fitting and held out for reliability, and the
    workspace's encoder id."""
    ds = load_dataset(dataset_dir, split)
    ws = open_workspace(ds, settings)
    try:
        from techmatch.matcher.service import MatchService

        service = MatchService(ws.engine, model=RankerModel(), depth=opts.depth)
        qids = ds.query_ids()  # judged, with a positive grade and a non-empty text
        if half is not None:
            qids = query_half(qids, half)[0]
        queries = needs_from_queries({q: ds.queries[q] for q in qids}, ds.query_meta)
        kept, held = split_queries(qids, opts.holdout, seed=opts.seed)
        log.info("%s: feature rows of %d queries", ds.name, len(qids))
        rows = collect_rows(service, {q: ds.qrels[q] for q in qids}, queries, KIND, opts,
                            keep_all=set(held))
        encoder_id = ws.engine.encoder.id
    finally:
        ws.engine.close()
    prefix = f"{ds.name}/"
    rows.groups = [prefix + g for g in rows.groups]
    return rows, [prefix + q for q in kept], [prefix + q for q in held], encoder_id


def distinct_names(dataset_dirs: Sequence[Path]) -> None:
    """Each set's rows are pooled under `<folder name>/<query id>` and reported by folder
    name: two sets (or one given twice) with one name are an error."""
    seen: dict[str, Path] = {}
    for path in map(Path, dataset_dirs):
        name = path.resolve().name
        if name in seen:
            raise ValidationError(f"两个数据集都叫 {name!r}（{seen[name]}、{path}）：数据集按"
                                  f"文件夹名汇总和报告；每个数据集只给一次，并放在名字不同的"
                                  f"文件夹里", field="dataset")
        seen[name] = path


def merge_rows(parts: Sequence[PairRows]) -> PairRows:
    names = {p.names for p in parts}
    if len(names) != 1:
        raise ValidationError("各数据集的特征行使用了不同的特征集", field="datasets")
    out = PairRows(names=parts[0].names)
    for p in parts:
        out.x += p.x
        out.y += p.y
        out.groups += p.groups
    return out


RowsCache = dict[Path, tuple[PairRows, list[str], list[str], str]]


def train_on_sets(dataset_dirs: Sequence[Path], settings: Settings, *, split: str = "dev",
                  options: TrainOptions | None = None,
                  cache: RowsCache | None = None, half: int | None = None) -> RankerModel:
    """One achievement ranker fitted on the pooled labelled queries of every set; `cache`
    keeps each set's rows for the next call (leave-one-set-out fits on overlapping sets)."""
    opts = options or TrainOptions()
    opts.check(KIND)
    if not dataset_dirs:
        raise ValidationError("请至少给出一个训练集", field="dataset")
    distinct_names(dataset_dirs)
    cache = cache if cache is not None else {}
    parts, kept, held, encoders = [], [], [], set()
    for path in dataset_dirs:
        if Path(path) not in cache:
            cache[Path(path)] = set_rows(Path(path), settings, split, opts, half)
        rows, k, h, enc = cache[Path(path)]
        parts.append(rows)
        kept += k
        held += h
        encoders.add(enc)
    if len(encoders) != 1:
        raise ValidationError(f"各数据集用不同的编码器编码：{sorted(encoders)}",
                              field="dataset")
    model = RankerModel()
    model.models[KIND] = fit_rows(merge_rows(parts), kept, held, KIND, opts)
    model.trained_on = {"source": "datasets " + ", ".join(Path(p).name for p in dataset_dirs),
                        "split": split, "encoder": encoders.pop(), "seed": opts.seed,
                        "calibration": opts.calibration, "negatives": opts.negatives,
                        "hard_negatives": opts.hard_negatives, "depth": opts.depth,
                        "holdout": opts.holdout, "kinds": [KIND],
                        "features": list(opts.features) if opts.features else "all",
                        "objective": opts.objective}
    if half is not None:
        model.trained_on["half"] = half
    return model


def score_set(dataset_dir: Path, settings: Settings, model: RankerModel, *,
              options: LosoOptions, model_home: Path, half: int | None = None) -> dict[str, Any]:
    """Every untrained configuration and `model` (as `ranker`) on one set (only half `half` of
    its queries when given); `ranker` against the best untrained configuration."""
    ds = load_dataset(dataset_dir, options.split)
    save_model(model, model_home)
    metrics = parse_metrics(options.metrics)
    ws = open_workspace(ds, settings)
    try:
        ctx = build_context(ws, ds, default_params=settings.retrieval(), k=100,
                            model_home=model_home,
                            query_ids=query_half(ds.query_ids(), half)[0] if half else None)
        runs = {name: CONFIGS[name](ctx) for name in (*options.untrained, "ranker")}
    finally:
        ws.engine.close()
    select = parse_metrics([SELECT_METRIC])
    chosen = {name: mean(evaluate(ds.qrels, runs[name], select,
                                  query_ids=ctx.query_ids)[SELECT_METRIC])
              for name in options.untrained}
    best = max(options.untrained, key=lambda n: (chosen[n], -options.untrained.index(n)))
    scored: dict[str, Any] = score_runs(ds, runs, metrics, ctx.query_ids,
                                        options=EvalOptions(baseline=best,
                                                            trials=options.trials,
                                                            seed=options.seed))
    out = {"dataset": ds.name, "queries": len(ctx.query_ids), "best_untrained": best,
           "configs": scored["configs"],
           "ranker_vs_best": scored["significance"]["tests"]["ranker"],
           "failures": {n: f[f"1-{SELECT_METRIC}"] for n, f in scored["failures"].items()},
           "per_query": {n: v[SELECT_METRIC] for n, v in scored["per_query"].items()}}
    if skipped_queries(ds):
        out["skipped_queries"] = skipped_queries(ds)
    return out


def leave_one_set_out(dataset_dirs: Sequence[Path], settings: Settings,
                      options: LosoOptions | None = None, *,
                      fit_all: bool = False,
                      train_only: Sequence[Path] = ()) -> dict[str, Any]:
    """For each set: fit on all the others, score on it (see module docstring); `fit_all`
    also fits on every set (the shipped model) and returns it as `model_all`. `train_only`
    sets are in every fold's training and in `model_all`, and never held out (a large
    training set not worth scoring, e.g. `pat-kw-a`)."""
    options = options or LosoOptions()
    paths = [Path(p) for p in dataset_dirs]
    extra = [Path(p) for p in train_only if Path(p) not in paths]
    if len(paths) < 2:
        raise ValidationError("留一数据集验证需要至少两个数据集", field="dataset")
    distinct_names([*paths, *extra])
    started = time.perf_counter()
    folds = []
    cache: RowsCache = {}
    for held in paths:
        train = [p for p in paths if p != held] + extra
        model = train_on_sets(train, settings, split=options.split, options=options.train,
                              cache=cache)
        home = settings.home / LOSO_DIR / f"without-{held.name}"
        result = score_set(held, settings, model, options=options, model_home=home)
        result["trained_on"] = [p.name for p in train]
        result["model"] = {"c": model.models[KIND].metrics.get("c"),
                           "weights": dict(zip(model.models[KIND].features,
                                               np.round(model.models[KIND].weights, 4).tolist(),
                                               strict=True))}
        folds.append(result)
    out: dict[str, Any] = {"split": options.split, "select_metric": SELECT_METRIC,
                           "folds": folds}
    if fit_all:
        out["model_all"] = train_on_sets(paths + extra, settings, split=options.split,
                                         options=options.train, cache=cache)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def in_distribution(dataset_dirs: Sequence[Path], settings: Settings,
                    options: LosoOptions) -> dict[str, Any]:
    """Fit on half `options.half` of every set together, score the other half of each."""
    if options.half not in (1, 2):
        raise ValidationError("应为 1 或 2", field="half")
    started = time.perf_counter()
    paths = [Path(p) for p in dataset_dirs]
    model = train_on_sets(paths, settings, split=options.split, options=options.train,
                          half=options.half)
    other = 3 - options.half
    home = settings.home / LOSO_DIR / f"half-{options.half}"
    folds = []
    for path in paths:
        result = score_set(path, settings, model, options=options, model_home=home, half=other)
        result["trained_on"] = [f"{p.name} half {options.half}" for p in paths]
        result["dataset"] = f"{result['dataset']} half {other}"
        folds.append(result)
    lm = model.models[KIND]
    for result in folds:
        result["model"] = {"c": lm.metrics.get("c"), "weights": dict(zip(
            lm.features, np.round(lm.weights, 4).tolist(), strict=True))}
    return {"split": options.split, "select_metric": SELECT_METRIC, "half": options.half,
            "folds": folds, "model_all": model,
            "seconds": round(time.perf_counter() - started, 1)}


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The report without per-query values and fitted models."""
    return {**{k: v for k, v in report.items() if k != "model_all"},
            "folds": [{k: v for k, v in f.items() if k != "per_query"}
                      for f in report["folds"]]}


def keep_untaught(model: RankerModel) -> RankerModel:
    """Features the sets could not teach (constant there, so fitted to exactly 0: the dev
    queries carry no discipline, industry or region) keep the hand-set default weight, put
    in logit units (default weight × the default squashing slope), so a home whose records
    carry facets still has them count before its feedback says how much. Only the facet
    features (`UNTAUGHT`): a retrieval feature at 0 was left out on purpose (`--features`)."""
    from techmatch.matcher.scorer import _DEFAULT_SLOPE, default_model

    out = model.model_copy(deep=True)
    for kind, lm in out.models.items():
        default = dict(zip(default_model(kind).features, default_model(kind).weights,
                           strict=True))
        lm.weights = [w if w != 0.0 or f not in UNTAUGHT else default.get(f, 0.0) * _DEFAULT_SLOPE
                      for f, w in zip(lm.features, lm.weights, strict=True)]
        lm.metrics["untaught_from_defaults"] = [f for f, w in zip(
            lm.features, model.models[kind].weights, strict=True) if w == 0.0 and f in UNTAUGHT]
    return out


def save_shipped(model: RankerModel, path: Path) -> Path:
    """Write `model` as the shipped default (version 1, untaught features from the defaults,
    abstention left to the shipped abstention model): what `loso --save-shipped` does."""
    shipped = keep_untaught(model).model_copy(update={"version": 1, "abstention": {}})
    Path(path).write_text(shipped.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return Path(path)


__all__ = ["LosoOptions", "in_distribution", "keep_untaught", "leave_one_set_out", "merge_rows",
           "save_shipped",
           "score_set", "set_rows", "summary", "train_on_sets"]
