"""`techmatch demo`: load data/samples into an empty home, index, then serve (or print matches)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from techmatch.cli.common import HomeOpt, cli_errors, settings_for
from techmatch.matcher.engine import Engine
from techmatch.models.records import KIND_LABELS, KINDS, Need
from techmatch.models.results import Hit

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
_FILES = {"need": "needs.jsonl", "achievement": "achievements.jsonl", "expert": "experts.jsonl"}


def load_samples(engine: Engine, samples: Path = SAMPLES) -> dict[str, dict[str, Any]]:
    """Ingest the sample needs, achievements and experts into the store."""
    from techmatch.indexers.ingest.load import ingest_files

    out = {}
    for kind in KINDS:
        report = ingest_files([samples / _FILES[kind]], kind, engine.store,
                              reject_dir=engine.settings.home / "rejects")
        out[kind] = report.as_dict()
    return out


def loaded_line(kind: str, counts: dict[str, Any]) -> str:
    """One kind's ingest report (`IngestReport.as_dict`) as the demo prints it."""
    loaded = counts["loaded"]
    return (f"已载入{KIND_LABELS[kind]}：新增 {loaded['inserted']} 条，更新 {loaded['updated']} "
            f"条，未变 {loaded['unchanged']} 条，退回 {counts['rejected']} 条")


def model_in_use(engine: Engine) -> str:
    """Which ranker model the demo ranks with: the home's own, else the shipped default
    (fitted on the public dev sets, techmatch.matcher.shipped), else the untrained weights.
    The demo no longer fits on the sample qrels: a new home ranks with the shipped model, and
    `techmatch train-ranker --qrels data/samples/qrels.tsv` (or `--from-feedback`) adapts it."""
    from techmatch.matcher.scorer import load_current
    from techmatch.matcher.shipped import shipped_model

    own = load_current(engine.settings.home)
    if own is not None:
        return f"本库模型 v{own.version}（{own.trained_on.get('source', '')}）"
    shipped = shipped_model(engine.encoder.id)
    if shipped is not None:
        return f"内置默认模型（{shipped.trained_on.get('source', '')}）"
    return "未训练的默认权重"


def print_sample_matches(engine: Engine, limit: int = 5, k: int = 3) -> None:
    """Ranked, explained matches for the first open sample needs."""
    from techmatch.matcher.service import MatchService

    service = MatchService(engine)
    needs = [n for n in engine.store.iter_records("need")
             if isinstance(n, Need) and n.status == "open"][:limit]
    for need in needs:
        typer.echo(f"\n■ {need.id} {need.display_title}  [{need.city or ''} {need.industry or ''}]")
        for target in ("achievement", "expert"):
            ranking = service.match_need(need, target=target, k=k)  # type: ignore[arg-type]
            if ranking.routed_to_staff:
                typer.echo(f"  {KIND_LABELS[target]}：{ranking.message}")
            for hit in ranking.hits:
                typer.echo(hit_line(target, hit))


def hit_line(target: str, hit: Hit) -> str:
    """One ranked hit as the demo prints it: kind, rank, id, confidence, title, the pair's
    conflict when it has one, and up to six shared terms."""
    terms = "、".join(h.display or h.term for h in (hit.explanation.matched_terms
                                                   if hit.explanation else [])[:6])
    conf = f"{hit.confidence:.2f}" if hit.confidence is not None else "-"
    clash = f"（{hit.conflict_label}）" if hit.conflict_label else ""
    return (f"  {KIND_LABELS[target]} {hit.rank}. {hit.id:<6} 置信度 {conf}  "
            f"{hit.title}{clash}  ← {terms}")


def demo(home: HomeOpt = None,
         serve: Annotated[bool, typer.Option("--serve/--no-serve",
                                             help="Serve the HTTP API after loading.")] = True,
         host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
         port: Annotated[int, typer.Option(help="Port.")] = 8000) -> None:
    """Load the samples if the home is empty, build the indexes, then serve the API."""
    with cli_errors():
        if serve:  # a taken port is known before minutes of loading and indexing
            from techmatch.cli.serve import check_address

            check_address(host, port)
        engine = Engine.open(settings_for(home, new_home=True))
        if engine.store.count() == 0:
            for kind, counts in load_samples(engine).items():
                typer.echo(loaded_line(kind, counts), err=True)
        for report in engine.sync():
            typer.echo(f"{KIND_LABELS[report.kind]}索引：{report.generation}（写入 "
                       f"{report.upserted} 条）", err=True)
        typer.echo(f"排序模型：{model_in_use(engine)}", err=True)
        if not serve:
            print_sample_matches(engine)
            return
        engine.close()
    from techmatch.cli.serve import serve as serve_command

    serve_command(host=host, port=port, workers=1, home=engine.settings.home, dev_key=True)


def register(app: typer.Typer) -> None:
    app.command()(demo)
