"""`techmatch migrate`: bring a store's schema up to date, or copy an embedded home into
PostgreSQL (`--to postgresql://…`) and verify every table by row count and checksum."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json, settings_for

if TYPE_CHECKING:
    from techmatch.store import Store


def migrate(
        to: Annotated[str | None, typer.Option(
            "--to", help="Copy the embedded store into this empty store "
                         "(postgresql://user@host:port/db) and verify it.")] = None,
        source: Annotated[Path | None, typer.Option(
            "--from", help="SQLite store file to copy (default <home>/store.sqlite).")] = None,
        home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Apply schema migrations to the configured store; with --to, copy an embedded home into
    PostgreSQL and compare every table (rows and checksums). Exit 5 when the target is not
    empty, 8 when it cannot be reached or the copy does not verify."""
    from techmatch.errors import NotFoundError
    from techmatch.store import Store
    from techmatch.store.factory import STORE_FILE, open_store

    with cli_errors():
        # with --to a missing store.sqlite is reported below (exit 3, naming the file)
        settings = settings_for(home, new_home=to is not None)
        if to is None:
            store = open_store(settings)
            try:
                _report_versions(store.url, store.schema_versions(), json_out)
            finally:
                store.close()
            return
        path = source or settings.home / STORE_FILE
        if not path.is_file():
            raise NotFoundError(f"没有找到要复制的存储文件 {path}（--from，默认为数据目录下的 "
                                f"{STORE_FILE}）")
        _copy(Store(path), Store(to), json_out)


def _report_versions(url: str, versions: list[int], json_out: bool) -> None:
    from techmatch.store.postgres import redact

    if json_out:
        print_json({"store": redact(url), "schema_versions": versions})
    else:
        typer.echo(f"存储 {redact(url)} 的结构版本：{', '.join(map(str, versions))}")


def _copy(source: Store, target: Store, json_out: bool) -> None:
    from techmatch.store.copy import copy_store
    from techmatch.store.postgres import redact

    try:
        report = copy_store(source, target)
    finally:
        source.close()
        target.close()
    data = report.as_dict()
    data["target"] = redact(report.target)
    if json_out:
        print_json(data)
        return
    typer.echo(f"已复制 {report.source} → {data['target']}")
    for t in report.tables:
        mark = "一致" if t.equal else "不一致"
        typer.echo(f"  表 {t.table}：源 {t.source_rows} 行 → 目标 {t.target_rows} 行，"
                   f"校验和{mark} ({t.target_checksum[:12]})")


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)
