"""`techmatch reindex` and `techmatch rollback`: zero-downtime rebuild and alias swap-back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json, progress, settings_for
from techmatch.errors import ConfigError
from techmatch.models.records import KIND_LABELS, KINDS

if TYPE_CHECKING:
    from techmatch.indexers.base import Progress, SyncReport
    from techmatch.matcher.engine import Engine


def reindex(home: HomeOpt = None,
            kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
            take_over: Annotated[bool, typer.Option(
                "--take-over", help="Elasticsearch: rebuild an index prefix another home "
                "(store) built, and own it from now on (that home is then refused).")] = False,
            json_out: JsonOpt = False) -> None:
    """Rebuild indexes from the store as a new generation and switch readers to it atomically.

    Elasticsearch: builds <prefix>_<kind>_v<N+1>, verifies its count, swaps the alias and keeps
    the previous index for `techmatch rollback`. Embedded: same as `techmatch index --full`.
    An Elasticsearch prefix another home built is refused (exit 5) unless --take-over.
    """
    from techmatch.matcher.engine import Engine

    with cli_errors():
        settings = settings_for(home)
        kinds = (kind,) if kind else KINDS
        engine = Engine.open(settings)
        try:
            with progress("重建索引", sum(engine.store.count(k) for k in kinds)) as advance:
                reports = [_reindex_one(engine, k, advance, take_over) for k in kinds]
        finally:
            engine.close()
        if json_out:
            print_json({"reindex": [r.__dict__ for r in reports]})
            return
        for r in reports:
            typer.echo(f"{KIND_LABELS.get(r.kind, r.kind)}索引：{r.upserted} 条记录 → "
                       f"{r.generation}（序号 {r.applied_seq}）")
            for note in r.notes:
                typer.echo(f"  {note}")


def _reindex_one(engine: Engine, kind: str, advance: Progress,
                 take_over: bool = False) -> SyncReport:
    from techmatch.indexers.factory import sync_index

    if engine.settings.backend == "elasticsearch":
        from techmatch.indexers import elastic

        return elastic.reindex(engine.settings, kind, engine.store, encoder=engine.encoder,
                               tokenizer=engine.tokenizer, progress=advance,
                               take_over=take_over)
    return sync_index(engine.settings, kind, engine.store, encoder=engine.encoder,
                      tokenizer=engine.tokenizer, full=True, progress=advance)


def rollback(kind: Annotated[str, typer.Option("--kind", help="need | achievement | expert")],
             home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Point the Elasticsearch alias of KIND back at the generation the last reindex replaced
    (refused when that generation was built by another version, which could not read it)."""
    from techmatch.indexers import elastic
    from techmatch.matcher.engine import Engine

    with cli_errors():
        settings = settings_for(home)
        if settings.backend != "elasticsearch":
            raise ConfigError("rollback 只用于 Elasticsearch 后端（TECHMATCH_BACKEND="
                              "elasticsearch）；内嵌后端在磁盘上保留上一代索引，请用 "
                              "techmatch index --full 重建")
        engine = Engine.open(settings)  # the encoder and tokenizer that will read it
        try:
            swap = elastic.rollback(settings, kind, encoder=engine.encoder,
                                    tokenizer=engine.tokenizer)
        finally:
            engine.close()
        if json_out:
            print_json(swap._asdict())
        else:
            typer.echo(f"已回滚 {swap.alias}：{swap.before} → {swap.after}")


def register(app: typer.Typer) -> None:
    app.command("reindex")(reindex)
    app.command("rollback")(rollback)
