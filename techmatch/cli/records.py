"""Commands on records and indexes: ingest, index, search, get, delete, demo."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer

from techmatch.cli.common import (
    HomeOpt,
    JsonOpt,
    cli_errors,
    print_json,
    progress,
    record_id,
    settings_for,
)
from techmatch.errors import BackendError, LockedError, RowsRejectedError, ValidationError
from techmatch.matcher.dockings.deletion import delete_record
from techmatch.matcher.engine import Engine
from techmatch.models.records import KIND_LABELS, KINDS, record_type
from techmatch.models.results import Filters, Ranking
from techmatch.store.factory import open_store

LOCK_POLL_SECONDS = 0.5
KindOpt = Annotated[str, typer.Option("--kind", help="need | achievement | expert")]
RecordIdArg = Annotated[str, typer.Argument(help="Record id", callback=record_id)]  # Ｎ００１: N001
LockTimeoutOpt = Annotated[float, typer.Option(
    "--lock-timeout", min=0.0,
    help="Seconds to wait for another process's index build before leaving the "
         "sync to the serving process / the next `techmatch index`.")]


def ingest(paths: Annotated[list[Path], typer.Argument(help="JSONL / CSV / XLSX files")],
           kind: KindOpt, home: HomeOpt = None, json_out: JsonOpt = False,
           on_duplicate: Annotated[Literal["last", "first", "error"],
                                   typer.Option(help="Which copy of a repeated id wins.")
                                   ] = "last",
           no_index: Annotated[bool, typer.Option("--no-index",
                                                  help="Load the store only.")] = False,
           force_kind: Annotated[bool, typer.Option(
               "--force-kind", help="Load even when the columns look like another kind's.")
           ] = False,
           lock_timeout: LockTimeoutOpt = 60.0) -> None:
    """Load records from files into the store (bad rows go to a reject file), then index.

    Exit 2 when a file cannot be read, is empty, looks like another kind, or every row is
    rejected. The load summary is printed even when indexing has to wait for another process.
    """
    from techmatch.indexers.ingest.load import ingest_files
    from techmatch.matcher.batch.live import await_batch, waiting_line
    from techmatch.matcher.dockings.effects import sync_needs

    with cli_errors():
        settings = settings_for(home, new_home=True)
        store = open_store(settings)  # the encoder loads only when there is something to index
        try:
            report = ingest_files(paths, kind, store, reject_dir=settings.home / "rejects",
                                  on_duplicate=on_duplicate, force_kind=force_kind)
            waiting: list[str] = []
            if kind == "need":  # a need with a signed docking re-sent as `open` stays matched
                sync_needs(store, [*report.loaded.inserted, *report.loaded.updated])
                # new or edited: their stored batch rows (an edited need's) are stale
                waiting = await_batch(store, [*report.loaded.inserted, *report.loaded.updated])
        finally:
            store.close()
        out = report.as_dict()
        if not json_out:
            typer.echo("\n".join(report.summary_lines()))
        if line := waiting_line(waiting):
            typer.echo(line, err=json_out)
        if not no_index and not report.all_rejected:
            with _stored_first(kind):
                engine = Engine.open(settings)
                out["index"] = _sync_after_write(engine, kind, lock_timeout, echo=not json_out)
        if json_out:
            print_json(out)
        if report.all_rejected:
            raise RowsRejectedError(f"所有行都被拒绝（{report.read} 行中 {report.rejected} 行），"
                                    f"没有存入任何记录")


@contextmanager
def _stored_first(kind: str) -> Iterator[None]:
    """The rows are committed before indexing: when the backend (an Elasticsearch cluster, the
    store's server) fails now, say that nothing is lost and how the index catches up."""
    try:
        yield
    except BackendError:
        typer.echo(f"索引未更新：改动已存入存储；检索后端恢复后运行 techmatch index --kind "
                   f"{kind}（正在运行的 techmatch serve 会自行补上）", err=True)
        raise


def _sync_after_write(engine: Engine, kind: str, timeout: float, *,
                      echo: bool) -> dict[str, object]:
    """Index the written kind, waiting up to `timeout` s for another builder's lock."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            reports = _sync(engine, (kind,), full=False)
        except LockedError as exc:
            if time.monotonic() < deadline:
                time.sleep(min(LOCK_POLL_SECONDS, max(deadline - time.monotonic(), 0.01)))
                continue
            note = (f"索引未更新：{exc}（已等待 {timeout:g} 秒）；改动已存入存储，正在运行的 "
                    f"techmatch serve 会在几秒内建好索引，否则请运行 techmatch index --kind "
                    f"{kind}")
            if echo:
                typer.echo(note, err=True)
            return {"status": "deferred", "reason": str(exc), "waited_seconds": timeout}
        report = reports[0]
        if echo:
            typer.echo(f"{KIND_LABELS[kind]}索引：写入 {report.upserted}，删除 {report.deleted}"
                       f" → {report.generation}（序号 {report.applied_seq}）")
        return {"status": "indexed", **report.__dict__}


def index(home: HomeOpt = None, kind: Annotated[str | None, typer.Option(
        "--kind", help="Only this kind.")] = None,
          full: Annotated[bool, typer.Option("--full", help="Rebuild from the store.")] = False,
          json_out: JsonOpt = False) -> None:
    """Bring the indexes up to date with the store (incremental unless --full)."""
    with cli_errors():
        engine = Engine.open(settings_for(home))
        kinds = (kind,) if kind else KINDS
        reports = [r.__dict__ for r in _sync(engine, kinds, full=full)]
        if json_out:
            print_json({"index": reports})
        else:
            for r in reports:
                typer.echo(f"{KIND_LABELS[r['kind']]}索引：写入 {r['upserted']}，删除 "
                           f"{r['deleted']}，编码 {r['encoded']} → {r['generation']}（序号 "
                           f"{r['applied_seq']}）")


def _sync(engine: Engine, kinds: tuple[str, ...], *, full: bool) -> list:
    todo = sum(engine.store.count(k) for k in kinds)
    with progress("建索引", todo) as advance:
        return engine.sync(kinds, full=full, progress=advance)


def search(text: Annotated[str, typer.Argument(help="Free text query")], kind: KindOpt,
           k: Annotated[int, typer.Option("-k", help="Number of hits.")] = 10,
           mode: Annotated[str | None, typer.Option(help="lexical | dense | hybrid")] = None,
           city: Annotated[list[str] | None, typer.Option(help="Filter: city")] = None,
           province: Annotated[list[str] | None, typer.Option(help="Filter: province")] = None,
           industry: Annotated[list[str] | None, typer.Option(help="Filter: industry")] = None,
           home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Free-text search over one kind, ranked as POST /v1/search ranks it (MatchService.search):
    a record whose id the text is comes first (编号一致), then those it names (名称一致:
    techmatch.matcher.names), each hit with its confidence and lexical and dense components."""
    from techmatch.indexers.ingest.normalize import has_searchable
    from techmatch.matcher.service import MatchService

    with cli_errors():
        record_type(kind)  # a typo is no missing index: name the valid kinds
        if not has_searchable(text):  # as the API's 422: nothing to rank by
            raise ValidationError("查询文本中没有字母、数字或汉字，无法检索",
                                  field="TEXT")
        engine = Engine.open(settings_for(home))
        filters = Filters(city=city or None, province=province or None,
                          industry=industry or None)
        # explanations only for --json (the API's default); the table does not show them
        ranking = MatchService(engine).search(text, kind=kind, k=k, mode=mode,
                                              filters=filters, explain=json_out)
        if json_out:  # the API's body: every field, null where it says null
            print_json(ranking.model_dump(mode="json", by_alias=True))
        elif not ranking.hits:  # else nothing at all was printed
            typer.echo(_no_hits(kind, filters, ranking.mode))
        else:
            _print_ranking(ranking)


def _no_hits(kind: str, filters: Filters, mode: str) -> str:
    """Why a search listed nothing, in staff's words."""
    if not filters.is_empty():
        return f"没有命中：{KIND_LABELS[kind]}索引中没有符合筛选条件的记录"
    if mode == "lexical":
        return f"没有命中：没有{KIND_LABELS[kind]}包含这些词（可改用 --mode hybrid）"
    return f"没有命中：{KIND_LABELS[kind]}索引是空的"


def _print_ranking(ranking: Ranking) -> None:
    """One line a hit: confidence, score, the two retrievals' components, how the text named
    it (编号一致 / 名称一致) and its title; the answer's message first (按编号找到, 转人工)."""
    if ranking.message:
        typer.echo(f"!! {ranking.message}")
    for h in ranking.hits:
        lex = f"{h.lexical.score:.2f}#{h.lexical.rank}" if h.lexical.rank else "-"
        den = f"{h.dense.score:.3f}#{h.dense.rank}" if h.dense.rank else "-"
        mark = f"【{h.match_by_label}】" if h.match_by_label else ""
        dup = f"（与 {h.duplicate_of} 近似重复）" if h.duplicate_of else ""
        typer.echo(f"{h.rank:>3}. {h.id:<16} 置信度 {h.confidence or 0:.3f}  "
                   f"得分 {h.score:+.3f}  词项 {lex:<12} 语义 {den:<12} {mark}{h.title}{dup}")


def get(rid: RecordIdArg, home: HomeOpt = None) -> None:
    """Print one stored record as JSON."""
    with cli_errors():
        engine = Engine.open(settings_for(home))
        record = engine.store.get(rid)
        print_json({"kind": record.kind, **record.model_dump(mode="json")})


def delete(rid: RecordIdArg, home: HomeOpt = None,
           lock_timeout: LockTimeoutOpt = 60.0) -> None:
    """Delete a record from the store and from its index (the delete is reported even when
    another process's index build makes the index wait)."""
    with cli_errors():
        engine = Engine.open(settings_for(home))
        kind = delete_record(engine.store, rid)
        typer.echo(f"已删除{KIND_LABELS[kind]} {rid}")
        with _stored_first(kind):
            _sync_after_write(engine, kind, lock_timeout, echo=True)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(index)
    app.command()(search)
    app.command()(get)
    app.command()(delete)
