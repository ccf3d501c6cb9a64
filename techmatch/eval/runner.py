"""Offline evaluation: index a BEIR corpus in a work folder, run every configuration, score it.

The work folder `<home>/eval/<dataset>-<corpus hash>/` holds a private store and index of the
corpus; it is reused while corpus.jsonl is unchanged. Passage vectors live in the shared
content-addressed cache `<home>/cache`, so a rebuilt index re-encodes nothing it has seen.
On Elasticsearch the work folder's index has a prefix of its own, derived from the home's
(`eval_index_prefix`: `<prefix>-eval-<dataset slug>-<corpus hash>`), never the home's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from techmatch.config import RetrievalParams, Settings
from techmatch.errors import ValidationError
from techmatch.eval.abstention import score_abstention
from techmatch.eval.configs import (
    CONFIGS,
    RANKER_MODELS,
    EvalContext,
    Run,
    resolve_configs,
    trained_model,
)
from techmatch.eval.datasets import (
    Dataset,
    corpus_hash,
    expert_qrels,
    load_dataset,
    require_scored,
    restore_ids,
)
from techmatch.eval.experts import rank_experts
from techmatch.eval.metrics import Metric, evaluate, mean, parse_metrics, recall_curve
from techmatch.eval.significance import compare
from techmatch.indexers.encoders import Encoder
from techmatch.matcher.engine import Engine

log = logging.getLogger(__name__)
_UPSERTED = {"inserted": "新增", "updated": "更新", "unchanged": "未变"}  # notes (zh-CN)

KIND = "achievement"
# Bumped when the corpus is loaded differently: a work folder loaded before is loaded again
# (2: lines the records refused are prepared, not rejected — techmatch.eval.corpus_prep).
LOAD_VERSION = 2
FAILURE_METRIC = "ndcg@10"
EXP_METRIC = "ndcg_exp@10"  # the gain the reference numbers use
# The untrained configurations and `ranker-default` (what a new home ranks with: the shipped
# model); not `ranker`, whose saved model may have been fitted on the scored queries, nor
# `ranker-untrained` (the hand-set weights, asked for by name).
DEFAULT_CONFIGS = ("lexical", "dense", "hybrid-rrf", "hybrid-weighted", "default",
                   "ranker-default")
DEFAULT_METRICS = ("ndcg@10", "ndcg_exp@10", "mrr@10", "recall@100", "map")
EXPERT_RELEVANCE = ("an expert is relevant to a query when the qrels grade it or any of its "
                    "works; its grade is the maximum of those grades (direct judgements in "
                    "qrels/<split>-experts.tsv take precedence)")


@dataclass(frozen=True)
class EvalOptions:
    """What to run and how to score it."""

    split: str = "dev"
    configs: tuple[str, ...] = DEFAULT_CONFIGS
    metrics: tuple[str, ...] = DEFAULT_METRICS
    baseline: str = "lexical"
    k: int = 100
    trials: int = 10_000
    seed: int = 0
    half: int | None = None  # evaluate only half 1 or 2 of the queries (train-ranker's split)


@dataclass
class Workspace:
    """An engine over the dataset's private store and index."""

    engine: Engine
    path: Path
    corpus_hash: str
    notes: list[str] = field(default_factory=list)


def workspace_path(settings: Settings, dataset: Dataset) -> tuple[Path, str]:
    digest = corpus_hash(dataset.corpus_path)
    return settings.home / "eval" / f"{dataset.name}-{digest}", digest


_PREFIX_MAX = 101  # what techmatch.indexers.elastic.client accepts as a prefix


def eval_index_prefix(home_prefix: str, dataset: str, digest: str) -> str:
    """The Elasticsearch index prefix of one eval work folder: `<home prefix>-eval-<dataset
    slug>-<first 8 digits of the corpus hash>` (techmatch-eval-scifact-0a1b2c3d). Each work
    folder has its own store, so it must not share the home's prefix (whose index another
    store owns: refused) nor another work folder's. The slug is the dataset's name in index
    characters (lowercase letters, digits, '-'); a name that loses characters doing so gets a
    short hash of itself, so two names never share a slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", dataset.lower()).strip("-")
    if slug != dataset:
        slug = "-".join(p for p in (slug, hashlib.sha256(dataset.encode()).hexdigest()[:6]) if p)
    tail = f"-eval-{slug}-{digest[:8]}"
    room = _PREFIX_MAX - len(home_prefix) - len(tail)
    if room < 0:  # a long home prefix: the slug becomes a hash, then the home prefix gives way
        slug = hashlib.sha256(dataset.encode()).hexdigest()[:6]
        tail = f"-eval-{slug}-{digest[:8]}"
        home_prefix = home_prefix[:_PREFIX_MAX - len(tail)]
    return f"{home_prefix}{tail}"


def workspace_settings(settings: Settings, path: Path, dataset: Dataset,
                       digest: str) -> Settings:
    """The settings of an eval work folder: its own home (store, index), the home's vector
    cache, and on Elasticsearch its own index prefix (`eval_index_prefix`)."""
    update: dict[str, Any] = {"home": path, "cache_dir": settings.vector_cache_dir}
    if settings.backend == "elasticsearch":
        update["es_index_prefix"] = eval_index_prefix(settings.es_index_prefix, dataset.name,
                                                      digest)
    return settings.model_copy(update=update)


def open_workspace(dataset: Dataset, settings: Settings, *, encoder: Encoder | None = None,
                   progress: Callable[[int], None] | None = None) -> Workspace:
    """Open (building on first use) the store + index of the dataset's corpus."""
    from techmatch.eval.corpus_prep import prepare_corpus
    from techmatch.indexers.ingest.load import ingest_files
    from techmatch.indexers.vector_cache import settings_encoder

    path, digest = workspace_path(settings, dataset)
    if encoder is None:
        encoder = settings_encoder(settings)  # type: ignore[assignment]
    # The work folder shares the vector cache, so a changed corpus re-encodes only new texts.
    engine = Engine.open(workspace_settings(settings, path, dataset, digest), encoder=encoder)
    ws = Workspace(engine=engine, path=path, corpus_hash=digest)
    if settings.backend == "elasticsearch":
        ws.notes.append(f"Elasticsearch 索引前缀：{engine.settings.es_index_prefix}"
                        f"（评估专用，主数据目录的前缀 {settings.es_index_prefix} 不受影响）")
    loaded = f"{digest}+{LOAD_VERSION}"
    if engine.store.get_meta("eval.corpus_hash") != loaded:
        log.info("loading %s into %s", dataset.corpus_path, path)
        prepared = path / "corpus.prepared.jsonl"  # every line as the records accept it
        prep = prepare_corpus(dataset.corpus_path, prepared, KIND)
        notes = prep.notes()
        report = ingest_files([prepared], KIND, engine.store, reject_dir=path / "rejects",
                              names=[str(dataset.corpus_path)])
        prepared.unlink()
        notes.append(f"已载入语料：读取 {report.read} 行，拒绝 {report.rejected} 行"
                     + (f"（见 {path / 'rejects'}）" if report.rejected else "")
                     + (f"，{len(report.duplicates)} 个编号出现两次（保留最后一行）"
                        if report.duplicates else ""))
        # kept for reruns on this work folder: their reports say what the loading changed
        engine.store.set_meta("eval.load_notes", json.dumps(notes, ensure_ascii=False))
        engine.store.set_meta("eval.corpus_hash", loaded)
    ws.notes += json.loads(engine.store.get_meta("eval.load_notes") or "[]")
    kinds: tuple[str, ...] = (KIND,)
    if dataset.experts:
        _load_experts(dataset, engine, ws)
        kinds = (KIND, "expert")
    started = time.perf_counter()
    for sync in engine.sync(kinds, progress=progress):
        if sync.upserted or sync.deleted:
            ws.notes.append(f"已建索引：{sync.upserted} 条记录（编码 {sync.encoded} 条），用时 "
                            f"{time.perf_counter() - started:.1f} 秒")
    _check_judged_ids(dataset, engine, ws)
    if dataset.experts:
        _check_expert_ids(dataset, engine, ws)
    return ws


def _load_experts(dataset: Dataset, engine: Engine, ws: Workspace) -> None:
    """The dataset's experts as Expert records (works = corpus ids, profile = bio), so the
    product's need→expert ranking can be evaluated; reloaded when experts.jsonl changes."""
    from techmatch.models.records import Expert

    digest = corpus_hash(dataset.path / "experts.jsonl")
    if engine.store.get_meta("eval.experts_hash") == digest:
        return
    experts = [Expert(id=e.id, name=e.name, bio=e.profile, works=list(e.works))
               for e in dataset.experts or ()]
    report = engine.store.upsert(experts)
    ws.notes.append(f"已载入 {len(experts)} 位专家（" + "，".join(
        f"{_UPSERTED.get(what, what)} {n}" for what, n in report.as_dict().items()) + "）")
    engine.store.set_meta("eval.experts_hash", digest)


def _check_judged_ids(dataset: Dataset, engine: Engine, ws: Workspace) -> None:
    judged = {d for docs in dataset.qrels.values() for d, g in docs.items() if g > 0}
    found = engine.store.get_many(judged)
    # an expert id (a need→expert set's qrels) is no corpus record either
    missing = {d for d in judged if d not in found or found[d].kind != KIND}
    if missing:
        shown = sorted(dataset.original_ids.get(d, d) for d in missing)[:3]
        experts = sum(d in found for d in missing)
        note = (f"qrels 中有 {len(missing)} 个相关语料编号不是语料记录（被拒绝或不存在的行"
                + (f"；其中 {experts} 个是专家" if experts else "")
                + f"），任何配置都找不到它们，例如 {shown}")
        log.warning(note)
        ws.notes.append(note)


def _check_expert_ids(dataset: Dataset, engine: Engine, ws: Workspace) -> None:
    """Notes on judged experts that experts.jsonl lacks and works the corpus lacks: no
    ranking can find the former; the latter count as never retrieved."""
    original = dataset.original_ids
    known = {e.id for e in dataset.experts or ()}
    judged = {x for docs in expert_qrels(dataset).values() for x, g in docs.items() if g > 0}
    absent = sorted(original.get(x, x) for x in judged - known)
    notes = []
    if absent:
        notes.append(f"qrels/{dataset.split}-experts.tsv 中有 {len(absent)} 个相关专家编号"
                     f"不在 experts.jsonl 中，任何排序都找不到他们，例如 {absent[:3]}")
    works = {w for e in dataset.experts or () for w in e.works}
    found = engine.store.get_many(works)
    gone = {w for w in works if w not in found or found[w].kind != KIND}
    if gone:
        owners = sum(any(w in gone for w in e.works) for e in dataset.experts or ())
        shown = sorted(original.get(w, w) for w in gone)[:3]
        notes.append(f"{owners} 位专家的 {len(gone)} 项成果不在 corpus.jsonl 中（按从未检出"
                     f"计），例如 {shown}")
    for note in notes:
        log.warning(note)
    ws.notes += notes


def build_context(ws: Workspace, dataset: Dataset, *, default_params: RetrievalParams,
                  k: int = 100, query_ids: Sequence[str] | None = None,
                  model_home: Path | None = None) -> EvalContext:
    qids = require_scored(dataset, list(query_ids) if query_ids is not None
                          else dataset.query_ids())
    return EvalContext(retriever=ws.engine.retriever(), query_ids=qids,
                       texts=[dataset.queries[q] for q in qids], default_params=default_params,
                       k=k, kind=KIND, max_depth=max(k, default_params.depth, 200),
                       engine=ws.engine, model_home=model_home,
                       query_meta=dict(dataset.query_meta))


def score_runs(dataset: Dataset, runs: dict[str, Run], metrics: Sequence[Metric],
               query_ids: Sequence[str], *, options: EvalOptions) -> dict[str, object]:
    """Means, per-query values, significance against the baseline, failures, recall curves."""
    wanted = list(metrics)
    missing = [m for m in (FAILURE_METRIC, EXP_METRIC) if m not in {w.name for w in wanted}]
    if missing:
        wanted += parse_metrics(missing)
    per_query = {name: evaluate(dataset.qrels, run, wanted, query_ids=query_ids)
                 for name, run in runs.items()}
    shown = [m.name for m in metrics]
    means = {name: {m: mean(values[m]) for m in shown} for name, values in per_query.items()}
    base = per_query[options.baseline]
    tests = {name: {m: compare(values[m], base[m], trials=options.trials, seed=options.seed)
                    for m in shown}
             for name, values in per_query.items() if name != options.baseline}
    return {
        "configs": means,
        "per_query": per_query,
        "significance": {"baseline": options.baseline, "tests": tests,
                         "methods": {"p_randomization": f"paired randomisation test, "
                                     f"{options.trials} trials, seed {options.seed}",
                                     "p_ttest": "paired t-test (scipy.stats.ttest_rel)"}},
        "failures": {name: {**_failures(dataset, runs[name], values[FAILURE_METRIC]),
                            f"1-{EXP_METRIC}": 1.0 - mean(values[EXP_METRIC])}
                     for name, values in per_query.items()},
        "recall_curve": {name: recall_curve(dataset.qrels, run, max_k=options.k,
                                            query_ids=query_ids)
                         for name, run in runs.items()},
    }


def _failures(dataset: Dataset, run: Run, ndcg: dict[str, float]) -> dict[str, object]:
    """1 − nDCG@10 and every query with nDCG@10 < 1, worst first."""
    failing = sorted((q for q, v in ndcg.items() if v < 1.0 - 1e-9), key=lambda q: (ndcg[q], q))
    rows = []
    for qid in failing:
        relevant = {d for d, g in dataset.qrels.get(qid, {}).items() if g > 0}
        ranked = run.get(qid, [])
        first = next((i + 1 for i, d in enumerate(ranked) if d in relevant), None)
        rows.append({"id": qid, "text": dataset.queries.get(qid, ""), FAILURE_METRIC: ndcg[qid],
                     "first_relevant_rank": first, "top": ranked[:3]})
    return {f"1-{FAILURE_METRIC}": 1.0 - mean(ndcg), "count": len(failing), "queries": rows}


def score_experts(ctx: EvalContext, dataset: Dataset, metrics: Sequence[Metric],
                  params: RetrievalParams, *, configs: Sequence[str] = (),
                  options: EvalOptions | None = None) -> dict[str, object]:
    """Need→expert metrics of the plain works baseline (techmatch.eval.experts) and of the
    product's expert ranking for each ranker configuration in `configs`, with significance
    against the baseline."""
    options = options or EvalOptions()
    qrels = expert_qrels(dataset)
    qids = [q for q in ctx.query_ids if any(g > 0 for g in qrels.get(q, {}).values())]
    runs = {"expert-affinity": rank_experts(ctx, dataset.experts or (), params)}
    calibration: dict[str, object] = {}
    for name in configs:
        if name in RANKER_MODELS:
            run, hits = expert_product_run(ctx, qids, config=name, k=options.k)
            runs[f"expert-{name}"] = run
            calibration[f"expert-{name}"] = hit_calibration(hits, qrels)
    per_query = {n: evaluate(qrels, run, metrics, query_ids=qids) for n, run in runs.items()}
    base = per_query["expert-affinity"]
    tests = {n: {m: compare(v[m], base[m], trials=options.trials, seed=options.seed)
                 for m in base} for n, v in per_query.items() if n != "expert-affinity"}
    return {"config": "expert-affinity", "experts": len(dataset.experts or ()),
            "queries": len(qids), "params": params.model_dump(), "relevance": EXPERT_RELEVANCE,
            "metrics": {m: mean(v) for m, v in base.items()}, "per_query": base,
            "configs": {n: {m: mean(v) for m, v in pq.items()} for n, pq in per_query.items()},
            "significance": {"baseline": "expert-affinity", "tests": tests},
            "calibration": calibration}


def hit_calibration(hits: dict[str, list[tuple[str, float]]],
                    qrels: dict[str, dict[str, int]], *, top: int = 10) -> dict[str, Any]:
    """ECE of the confidences of each query's top-1 and top-`top` hits against relevance, each
    beside its floor (`techmatch.matcher.calibrate.ece_floor`: what a perfectly calibrated
    model with the same confidences would show on as few pairs), the debiased ℓ2 calibration
    error (`debiased_ce`, about 0 for a calibrated model however few the pairs) and a 90 %
    bootstrap interval of the ECE, queries resampled (`ece_interval`)."""
    from techmatch.eval.abstention import TOP_HITS
    from techmatch.matcher.calibrate import calibration_errors

    top = min(top, TOP_HITS)
    conf1: list[float] = []
    rel1: list[int] = []
    conf: list[float] = []
    rel: list[int] = []
    group: list[int] = []
    for i, (qid, pairs) in enumerate(hits.items()):
        for rank, (rid, c) in enumerate(pairs[:top]):
            r = 1 if qrels.get(qid, {}).get(rid, 0) > 0 else 0
            conf.append(c)
            rel.append(r)
            group.append(i)
            if rank == 0:
                conf1.append(c)
                rel1.append(r)
    out: dict[str, Any] = {}
    for name, cs, rs, groups in (("ece_top1", conf1, rel1, None),
                                 (f"ece_top{top}", conf, rel, np.array(group))):
        errors = calibration_errors(np.array(cs), np.array(rs), groups)
        out.update({name: errors["ece"], f"{name}_floor": errors["floor"],
                    f"{name}_debiased": errors["debiased"],
                    f"{name}_interval": errors["interval"]})
    return {**out, "pairs": len(conf)}


def expert_product_run(ctx: EvalContext, query_ids: Sequence[str], *, config: str,
                       k: int = 100) -> tuple[Run, dict[str, list[tuple[str, float]]]]:
    """Top-`k` experts per query from the ranking service (target expert), as `match` ranks,
    and each query's (expert, confidence) pairs."""
    from techmatch.matcher.train import needs_from_queries

    service = ctx.ranker_service(config)
    texts = dict(zip(ctx.query_ids, ctx.texts, strict=True))
    needs = needs_from_queries({q: texts[q] for q in query_ids}, ctx.query_meta)
    vectors = dict(zip(ctx.query_ids, ctx.query_vectors(), strict=True))
    qids = sorted(needs)
    run: Run = {}
    hits: dict[str, list[tuple[str, float]]] = {}
    for start in range(0, len(qids), 256):
        chunk = qids[start:start + 256]
        rankings = service.match_many([needs[q] for q in chunk], target="expert", k=k,
                                      explain=False,
                                      vectors=np.stack([vectors[q] for q in chunk]))
        for qid, ranking in zip(chunk, rankings, strict=True):
            run[qid] = [h.id for h in ranking.hits]
            hits[qid] = [(h.id, float(h.confidence or 0.0)) for h in ranking.hits]
    return run, hits


def _check_options(options: EvalOptions, names: Sequence[str], settings: Settings) -> None:
    """The option errors that would otherwise surface after the corpus is indexed."""
    if options.trials < 1:
        raise ValidationError("应不小于 1", field="trials")
    if options.half not in (None, 1, 2):
        raise ValidationError("应为 1 或 2", field="half")
    if "ranker" in names:
        trained_model(settings.home)


def skipped_queries(dataset: Dataset) -> dict[str, list[str]]:
    """Judged queries left out, by reason (`empty_text`, `no_positive_grade`); empty when
    none: what eval, tune and loso report as `skipped_queries`."""
    out = {"empty_text": dataset.empty_queries(),
           "no_positive_grade": dataset.ungraded_queries()}
    return {reason: ids for reason, ids in out.items() if ids}


def _half(query_ids: list[str], options: EvalOptions) -> list[str]:
    """All query ids, or half 1 / 2 of them exactly as `train-ranker --half` splits them."""
    if options.half is None:
        return query_ids
    from techmatch.matcher.train import query_half

    return query_half(query_ids, options.half)[0]


def run_evaluation(dataset_dir: Path, settings: Settings, options: EvalOptions, *,
                   encoder: Encoder | None = None,
                   progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The full evaluation report as a dict (see techmatch.eval.report for its files)."""
    started = time.perf_counter()
    dataset = load_dataset(dataset_dir, options.split)
    metrics = parse_metrics(options.metrics)
    deepest = max((int(m.name.partition("@")[2] or 0) for m in metrics), default=0)
    if deepest > options.k:  # recall@200 of runs cut at 100 would be recall@100
        options = replace(options, k=deepest)
    names = resolve_configs(options.configs)
    resolve_configs([options.baseline], field="baseline")
    if options.baseline not in names:
        names.insert(0, options.baseline)
    _check_options(options, names, settings)  # before minutes of indexing
    require_scored(dataset, _half(dataset.query_ids(), options), half=options.half)
    default_params = settings.retrieval()
    ws = open_workspace(dataset, settings, encoder=encoder, progress=progress)
    try:
        ctx = build_context(ws, dataset, default_params=default_params, k=options.k,
                            query_ids=_half(dataset.query_ids(), options),
                            model_home=settings.home)
        runs = {}
        for name in names:
            log.info("running %s", name)
            runs[name] = CONFIGS[name](ctx)
        report: dict[str, Any] = {
            "dataset": dataset.name, "split": dataset.split, "half": options.half,
            "queries": len(ctx.query_ids),
            "corpus": {"path": str(dataset.corpus_path), "hash": ws.corpus_hash,
                       "records": ws.engine.store.count(KIND)},
            "workspace": str(ws.path), "params": ctx.params_used, "models": ctx.models_used,
            "settings": {"encoder": settings.encoder, "encoder_id": ws.engine.encoder.id,
                         "threads": settings.threads,
                         "backend": settings.backend, "k": options.k},
            **score_runs(dataset, runs, metrics, ctx.query_ids, options=options),
            "notes": ws.notes,
        }
        if dataset.experts:
            hybrid = default_params if default_params.mode == "hybrid" else RetrievalParams()
            report["experts"] = score_experts(ctx, dataset, metrics, hybrid, configs=names,
                                              options=options)
        if dataset.unanswerable:
            report["abstention"] = score_abstention(
                ctx, dataset.queries, ctx.query_ids,
                _half(dataset.unanswerable_ids(), options), dataset.qrels, configs=names,
                threshold=settings.confidence_threshold)
        skipped = skipped_queries(dataset)
        if skipped:
            report["skipped_queries"] = skipped
        if "empty_text" in skipped:
            empty = skipped["empty_text"]
            report["notes"].append(f"{len(empty)} queries with empty text skipped, e.g. "
                                   f"{empty[:3]}")
        if "no_positive_grade" in skipped:
            ungraded = skipped["no_positive_grade"]
            report["notes"].append(f"{len(ungraded)} queries whose qrels grade nothing above 0 "
                                   f"skipped, e.g. {ungraded[:3]}")
    finally:
        ws.engine.close()
    report["seconds"] = round(time.perf_counter() - started, 2)
    return restore_ids(report, dataset.original_ids)


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The one JSON object `techmatch eval --json` prints."""
    out = {key: report[key] for key in ("dataset", "split", "queries", "configs")}
    out["half"] = report.get("half")  # None: every query of the split
    out["models"] = report.get("models", {})
    sig = report["significance"]
    out["significance"] = {"baseline": sig["baseline"], "tests": sig["tests"]}
    out["failures"] = {name: {k: v for k, v in f.items() if k != "queries"}
                       for name, f in report["failures"].items()}
    if "experts" in report:
        out["experts"] = {k: report["experts"][k]
                          for k in ("config", "experts", "queries", "metrics", "configs",
                                    "significance", "calibration")}
    if "abstention" in report:
        out["abstention"] = {name: {k: v for k, v in a.items()
                                    if not k.startswith("reliab") and k != "per_query"}
                             for name, a in report["abstention"].items()}
    if "skipped_queries" in report:
        out["skipped_queries"] = report["skipped_queries"]
    out["notes"] = report["notes"]
    out["seconds"] = report["seconds"]
    return out
