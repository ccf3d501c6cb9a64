"""Commands of the ranking service: match, feedback, train-ranker, duplicates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json, record_id, settings_for
from techmatch.config import Settings
from techmatch.errors import ValidationError
from techmatch.indexers.ingest.normalize import require_searchable
from techmatch.matcher.engine import Engine
from techmatch.models.records import KIND_LABELS
from techmatch.models.results import Ranking

if TYPE_CHECKING:
    from techmatch.matcher.feedback import Feedback

KindOpt = Annotated[str, typer.Option("--kind", help="achievement | expert (ID is a need) or "
                                      "need (ID is an achievement)")]


def match(rid: Annotated[str, typer.Argument(metavar="ID", help="Need or achievement id",
                                                   callback=record_id)],
          kind: KindOpt, k: Annotated[int, typer.Option("--k", "-k", help="Hits.")] = 10,
          prefer_local: Annotated[bool, typer.Option(help="Favour the same city/province.")]
          = False,
          require_local: Annotated[bool, typer.Option(help="Only the need's city/province.")]
          = False,
          excluded: Annotated[bool, typer.Option(
              help="Also list candidates left out because staff dropped the pair.")] = False,
          home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Ranked, explained matches for a stored need (or, with --kind need, an achievement)."""
    from techmatch.matcher.service import MatchService

    with cli_errors():
        engine = Engine.open(settings_for(home))
        service = MatchService(engine)
        if kind in ("achievement", "expert", "need"):  # as the API: nothing to match by
            of = "achievement" if kind == "need" else "need"
            require_searchable(engine.store.get(rid, of).text(), f"{KIND_LABELS[of]} {rid}",
                               field="ID")
        if kind in ("achievement", "expert"):
            ranking = service.match_need(rid, target=kind, k=k,  # type: ignore[arg-type]
                                         prefer_local=prefer_local, require_local=require_local,
                                         show_excluded=excluded)
        elif kind == "need":
            ranking = service.match_achievement(rid, k=k)
        else:
            raise ValidationError(f"未知类型 {kind!r}；可选：achievement（成果）、expert（专家）、"
                                  f"need（需求）",
                                  field="kind")
        if json_out:
            print_json(ranking.model_dump(mode="json", exclude_none=True))
        else:
            _print(ranking)
            for e in ranking.excluded or []:
                typer.echo(f"  已排除 {e.candidate_id}：对接 {e.docking_id} "
                           f"终止（{e.reason_label}）" + ("，不再推荐" if e.never_suggest else ""))


def _print(ranking: Ranking) -> None:
    """The ranking for staff reading a terminal: Chinese labels, ids and codes as stored."""
    if ranking.message:  # routed to staff, or the filters left nothing (message_code)
        typer.echo(f"!! {ranking.message}")
    for h in ranking.hits:
        dup = f"（与 {h.duplicate_of} 近似重复）" if h.duplicate_of else ""
        dup += f"（{h.conflict_label}）" if h.conflict_label else ""
        typer.echo(f"{h.rank:>3}. {h.id:<16} 置信度 {h.confidence or 0:.3f}  得分 {h.score:+.3f}"
                   f"  {h.title}{dup}")
        exp = h.explanation
        if exp is None:
            continue
        if exp.matched_terms:
            typer.echo("     匹配词：" + "、".join(t.display or t.term for t in exp.matched_terms))
        if exp.record_sentence:
            typer.echo(f"     最相近句对（{exp.sentence_similarity or 0:.2f}）："
                       f"{exp.query_sentence} ⇄ {exp.record_sentence}")
        top = [c for c in exp.contributions if abs(c.contribution) > 1e-9][:4]
        typer.echo("     主要信号：" + "，".join(f"{c.label} {c.contribution:+.3f}" for c in top))
        for work in exp.works:
            typer.echo(f"     代表成果 {work['id']}：{work['title']}")
        for note in exp.notes:
            typer.echo(f"     说明：{note}")


def feedback(need_id: Annotated[str, typer.Argument(help="Need id (or achievement id)",
                                                        callback=record_id)],
             candidate_id: Annotated[str, typer.Argument(help="Achievement / expert id",
                                                             callback=record_id)],
             label: Annotated[str, typer.Option(help="accepted | rejected | contacted | deal")],
             reason: Annotated[str | None, typer.Option(
                 help="With rejected: not_relevant | too_early | already_solved | too_costly "
                      "| ip_confidentiality | unresponsive | other")] = None,
             note: Annotated[str | None, typer.Option(help="Free text.")] = None,
             actor: Annotated[str | None, typer.Option(help="Who judged.")] = None,
             home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Record a staff or outcome judgement on a proposed pair: a move of its docking
    (accepted → 企业确认, contacted → 已联系, deal → 签约, rejected → 终止 with the reason)."""
    from techmatch.cli.dockings import echo_waiting
    from techmatch.matcher.batch.live import inputs_now
    from techmatch.matcher.dockings import load_levels
    from techmatch.matcher.feedback import record_feedback

    with cli_errors():
        engine = Engine.open(settings_for(home))
        before = inputs_now(engine.store, [need_id, candidate_id])  # either may be the need
        fb = record_feedback(engine.store, need_id, candidate_id, label=label, reason=reason,
                             note=note, actor=actor,
                             levels=load_levels(engine.settings.home))
        if json_out:
            print_json(fb.model_dump())
        else:
            _print_feedback(fb)
        echo_waiting(engine.store, before, [fb.need_id] if fb.need_id else [],
                     json_out=json_out)


def _print_feedback(fb: Feedback) -> None:
    """What the judgement moved, for staff: label, the docking's stage, the need's status."""
    from techmatch.matcher.batch.export import STATUS_LABELS
    from techmatch.matcher.feedback import LABEL_NAMES
    from techmatch.models.dockings import REASON_LABELS, STAGE_LABELS

    reason = f"（{REASON_LABELS.get(fb.reason, fb.reason)}）" if fb.reason else ""
    typer.echo(f"已记录反馈 #{fb.fid}：{fb.query_id} → {fb.candidate_id} "
               f"{LABEL_NAMES.get(fb.label, fb.label)}{reason}；对接 {fb.docking_id} 现为 "
               f"{STAGE_LABELS.get(fb.stage or '', fb.stage or '')}")
    if fb.need_status:
        typer.echo(f"需求 {fb.need_id} 状态改为 {STATUS_LABELS.get(fb.need_status, fb.need_status)}"
                   + ("（不再进入每晚批量匹配）" if fb.need_status != "open" else ""))


def train_ranker(
        qrels: Annotated[Path | None, typer.Option(help="BEIR qrels TSV over stored records")]
        = None,
        from_feedback: Annotated[bool, typer.Option("--from-feedback",
                                                    help="Train on the stored feedback.")] = False,
        dataset: Annotated[Path | None, typer.Option(help="BEIR folder (corpus + queries)")]
        = None,
        split: Annotated[str, typer.Option(help="Split of --dataset")] = "dev",
        half: Annotated[int | None, typer.Option(
            help="Fit on half 1 or 2 of the split's queries (a fixed split, the one "
                 "`eval --half` uses) and compare with the hybrid on the other half")] = None,
        calibration: Annotated[str, typer.Option(help="platt | isotonic")] = "platt",
        seed: Annotated[int, typer.Option(help="Seed of the held-out split, folds and "
                                          "negative sampling")] = 0,
        home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Fit the ranker's weights and calibration on labelled pairs; save a new model version."""
    with cli_errors():
        sources = sum([qrels is not None, from_feedback, dataset is not None])
        if sources != 1:
            raise ValidationError("--qrels、--from-feedback、--dataset 三者须且只能给出一个",
                                  field="source")
        if half is not None and dataset is None:  # it would be ignored: nothing held out
            raise ValidationError("--half 只拆分 --dataset 的查询；用 --qrels 或 --from-feedback "
                                  "时每条有标注的查询都参与拟合",
                                  field="half")
        out = run_training(settings_for(home, new_home=True), qrels=qrels,
                           from_feedback=from_feedback, dataset=dataset, split=split, half=half,
                           calibration=calibration, seed=seed)
        if json_out:
            print_json(out)
        else:
            _print_training(out)


def _print_training(out: dict[str, Any]) -> None:
    from techmatch.matcher.calibrate import Reliability

    typer.echo(f"已保存 {out['path']}（版本 {out['version']}）")
    for kind, info in out["kinds"].items():
        typer.echo(f"[{KIND_LABELS.get(kind, kind)}] 样本对 {info['pairs']}（正例 "
                   f"{info['positives']}），查询 {info['queries']}，留出 "
                   f"{info['heldout_queries']}")
        for key, label in (("reliability", "留出查询的全部检索对"),
                           ("reliability_top10", "留出查询的前 10 名")):
            if info.get(key):
                typer.echo(f"可靠性（{label}）：")
                typer.echo(Reliability.model_validate(info[key]).table())
    if out.get("comparison"):
        _print_comparison(out["comparison"])
    empty = out.get("skipped_queries", {}).get("empty_text", [])
    if empty:
        typer.echo(f"已跳过 {len(empty)} 条文本为空的查询：{'、'.join(empty[:10])}")


def _print_comparison(comparison: dict[str, Any]) -> None:
    """train-ranker's held-out comparison as a table: means, then Δ and p vs the hybrid."""
    means = comparison["means"]
    metrics = list(next(iter(means.values()), {}))
    width = max(map(len, means)) + 1
    typer.echo(f"留出查询：{comparison['queries']} 条")
    typer.echo(" " * width + "".join(f"{m:>9}" for m in metrics))
    tests = comparison.get("significance_vs_hybrid", {})
    for name, values in means.items():
        line = f"{name:<{width}}" + "".join(f"{values[m]:9.4f}" for m in metrics)
        if name in tests:
            line += "   对比 hybrid：" + "，".join(
                f"{m} {t['delta']:+.4f} (p {t['p_randomization']:.2g} / {t['p_ttest']:.2g})"
                for m, t in tests[name].items())
        typer.echo(line)


def duplicates(kind: Annotated[str, typer.Option("--kind", help="need | achievement | expert")],
               threshold: Annotated[float, typer.Option(help="Cosine threshold")] = 0.95,
               jaccard: Annotated[float | None, typer.Option(
                   help="Token Jaccard threshold (pairs above either threshold)")] = None,
               both: Annotated[bool, typer.Option("--both", help="Require both thresholds.")]
               = False,
               home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Report near-duplicate records within a kind."""
    from techmatch.matcher.duplicates import duplicate_report

    with cli_errors():
        engine = Engine.open(settings_for(home))
        pairs = duplicate_report(engine, kind, threshold=threshold, jaccard=jaccard, both=both)
        if json_out:
            print_json({"kind": kind, "threshold": threshold, "jaccard": jaccard,
                        "pairs": pairs})
            return
        for p in pairs:
            jac = f" 词重合 {p['jaccard']:.3f}" if p["jaccard"] is not None else ""
            typer.echo(f"{p['a']} ~ {p['b']}  余弦 {p['cosine']:.4f}{jac}  "
                       f"{p['title_a']} | {p['title_b']}")
        typer.echo(f"{KIND_LABELS.get(kind, kind)}记录中共有 {len(pairs)} 对近似重复")


# `train-ranker --from-feedback` keeps the model it adapts as if it were this many judged needs
# (techmatch.matcher.train.blend): 40 judged needs move it 29 %, 400 move it 80 %.
FEEDBACK_PRIOR_QUERIES = 100


def run_training(settings: Settings, *, qrels: Path | None, from_feedback: bool,
                 dataset: Path | None, split: str, half: int | None, calibration: str,
                 seed: int) -> dict[str, Any]:
    """Train from one label source, save the next model version, report reliability."""
    from techmatch.matcher.feedback import feedback_qrels
    from techmatch.matcher.scorer import load_current, save_model
    from techmatch.matcher.shipped import feedback_base
    from techmatch.matcher.train import TrainOptions, train_ranker

    opts = TrainOptions(calibration=calibration, seed=seed,
                        prior_queries=FEEDBACK_PRIOR_QUERIES if from_feedback else 0)
    opts.check()  # before the set is loaded and ranked
    queries: dict[str, Any] | None = None
    held: list[str] = []
    if dataset is not None:
        ds, engine, queries, labels, held = _dataset_labels(settings, dataset, split, half)
        source = f"dataset {ds.name}/{split}" + (f" half {half}" if half else "")
    else:
        engine = Engine.open(settings)
        if qrels is not None:
            from techmatch.eval.datasets import read_qrels

            labels, source = read_qrels(qrels), f"qrels {qrels}"
        else:
            labels, source = feedback_qrels(engine.store), "feedback"
            if not labels:
                raise ValidationError(f"{settings.home} 中还没有反馈：请先记录判断（techmatch "
                                      f"feedback、工作台或 POST /v1/feedback）",
                                      field="from-feedback")
    # feedback adapts what the home ranks with (its own model, else the shipped one), or
    # what that model was adapted from when it came from feedback itself (counted once)
    base = feedback_base(settings.home, engine.encoder.id) if from_feedback else \
        load_current(settings.home)
    unanswerable: list[str] = []
    if dataset is not None:  # needs without a right answer teach the abstention model
        from techmatch.matcher.train import query_half

        unanswerable = query_half(ds.unanswerable_ids(), half)[0] if half else \
            ds.unanswerable_ids()
    model = train_ranker(engine, labels, queries=queries, options=opts, base=base,
                         source=source, unanswerable=unanswerable)
    path = save_model(model, settings.home)
    out: dict[str, Any] = {"path": str(path), "version": model.version,
                           "trained_on": model.trained_on,
                           "kinds": {k: m.metrics for k, m in model.models.items()}}
    if dataset is not None and held:
        out["comparison"] = _compare(engine, ds, queries or {}, held, model)
    if dataset is not None and ds.empty_queries():
        out["skipped_queries"] = {"empty_text": ds.empty_queries()}
    return out


def _dataset_labels(settings: Settings, path: Path, split: str, half: int | None
                    ) -> tuple[Any, Engine, dict[str, Any], dict[str, dict[str, int]],
                                        list[str]]:
    from techmatch.eval.datasets import load_dataset, require_scored
    from techmatch.eval.runner import open_workspace
    from techmatch.matcher.train import needs_from_queries, query_half

    ds = load_dataset(path, split)
    require_scored(ds, ds.query_ids())  # before the corpus is indexed
    engine = open_workspace(ds, settings).engine
    # a query with an empty text is no need: skipped, reported as `eval` reports it
    queries = needs_from_queries({q: t for q, t in ds.queries.items() if t.strip()},
                                 ds.query_meta)
    labels = {q: docs for q, docs in ds.qrels.items() if q in queries}
    held: list[str] = []
    if half is not None:
        train, held = query_half(ds.query_ids(), half)
        labels = {q: ds.qrels[q] for q in train}
    return ds, engine, queries, labels, held


def _compare(engine: Engine, ds: Any, queries: dict[str, Any], held: list[str],
             model: Any) -> dict[str, Any]:
    """nDCG@10 / MRR@10 on the held-out half: hybrid retrieval, untrained ranker, trained one."""
    from techmatch.eval.metrics import evaluate, mean
    from techmatch.eval.significance import compare
    from techmatch.matcher.scorer import RankerModel
    from techmatch.matcher.service import MatchService
    from techmatch.matcher.train import ranking_run

    needs = [queries[q] for q in held]
    hybrid = engine.retriever().search_many([n.text() for n in needs], kind="achievement", k=100)
    runs = {"hybrid": {q: [h.id for h in r.hits] for q, r in zip(held, hybrid, strict=True)}}
    # the hand-set weights: what eval calls ranker-untrained (its ranker-default is shipped)
    for name, m in (("untrained-ranker", RankerModel()), ("trained-ranker", model)):
        service = MatchService(engine, model=m)
        runs[name] = ranking_run(service, {q: queries[q] for q in held}, k=100)
    metrics = ("ndcg@10", "mrr@10")
    per = {name: evaluate(ds.qrels, run, metrics, query_ids=held) for name, run in runs.items()}
    return {"queries": len(held),
            "means": {name: {m: round(mean(v[m]), 4) for m in metrics} for name, v in per.items()},
            "significance_vs_hybrid": {
                name: {m: compare(per[name][m], per["hybrid"][m]) for m in metrics}
                for name in runs if name != "hybrid"}}


def register(app: typer.Typer) -> None:
    app.command()(match)
    app.command()(feedback)
    app.command("train-ranker")(train_ranker)
    app.command()(duplicates)
