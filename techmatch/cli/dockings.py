"""Docking commands: `techmatch dockings create|move|assign|list|get|history|import`,
`techmatch overdue` and `techmatch kpis`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json, record_id, settings_for
from techmatch.config import Settings
from techmatch.store import Store

dockings_app = typer.Typer(name="dockings", no_args_is_help=True,
                           help="对接跟踪: follow (need, candidate) pairs from suggestion to deal.")
ActorOpt = Annotated[str | None, typer.Option(help="Who acts (recorded in the history).")]


@contextmanager
def _store(home: Path | None) -> Iterator[tuple[Settings, Store]]:
    from techmatch.matcher.feedback import apply_pending_feedback
    from techmatch.store.factory import open_store

    settings = settings_for(home)
    store = open_store(settings)
    try:
        apply_pending_feedback(store)  # a home from before dockings: its judgements, once
        yield settings, store
    finally:
        store.close()


def echo_waiting(store: Store, before: dict[str, str], need_ids: list[str], *,
                 json_out: bool) -> None:
    """After an action that may have changed what these needs' matches depend on: drop the
    stale stored batch rows of those that changed (`before`: `inputs_now` taken before the
    action) and say how many await the next batch (on stderr under --json)."""
    from techmatch.matcher.batch.live import await_batch, changed, inputs_now, waiting_line

    line = waiting_line(await_batch(store, changed(before, inputs_now(store, need_ids))))
    if line:
        typer.echo(line, err=json_out)


def _need_of(store: Store, docking_id: str) -> list[str]:
    """The need of a docking (none when there is no such docking: the move says so)."""
    from techmatch.errors import NotFoundError
    from techmatch.store.dockings import DockingRepo

    try:
        return [DockingRepo(store).get(docking_id).need_id]
    except NotFoundError:
        return []


def _show(items: list, json_out: bool, total: int | None = None) -> None:  # type: ignore[type-arg]
    from techmatch.matcher.dockings.tracking import amount_text

    if json_out:
        data = [i.model_dump(mode="json") for i in items]
        print_json({"total": total, "items": data} if total is not None else data)
        return
    for d in items:
        due = f" 截止 {d.due_on}" + ("（超期）" if d.overdue else "") if d.due_on else ""
        extra = f" {d.reason_label}" if d.reason_label else ""
        if d.contract:
            extra += (f" {d.contract_label} {amount_text(d.contract.value_wan)} 万元 "
                      f"{d.contract.signed_on}")
        typer.echo(f"{d.id}  {d.need_id} → {d.candidate_id}  {d.stage_label}({d.stage}) "
                   f"v{d.version}{extra}  负责人 {d.owner or '未分配'}{due}")
    if total is not None:
        typer.echo(f"共 {total} 条对接，列出 {len(items)} 条")


@dockings_app.command("create")
def create(need_id: Annotated[str, typer.Argument(help="Need id", callback=record_id)],
           candidate_id: Annotated[str, typer.Argument(help="Achievement or expert id",
                                                        callback=record_id)],
           source: Annotated[str, typer.Option(help="search | match | batch | roadshow | "
                                                    "team_plan | manual")] = "manual",
           rank: Annotated[int | None, typer.Option(help="Rank when suggested")] = None,
           confidence: Annotated[float | None, typer.Option(help="Confidence when suggested")]
           = None,
           owner: Annotated[str | None, typer.Option(help="负责人")] = None,
           team: Annotated[str | None, typer.Option(help="服务团")] = None,
           note: Annotated[str | None, typer.Option(help="Free text")] = None,
           created_on: Annotated[str | None, typer.Option(
               help="创建日期 YYYY-MM-DD (China date, not after today) when the docking began "
                    "before it is recorded; a signing's 签约日期 may not be earlier; "
                    "default: today")] = None,
           actor: ActorOpt = None, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Start following a pair (stage 推荐 suggested)."""
    from techmatch.matcher.dockings import NewDocking, create_docking, load_levels, view

    with cli_errors(), _store(home) as (settings, store):
        d = create_docking(store, NewDocking(need_id, candidate_id, source=source, rank=rank,
                                             confidence=confidence, owner=owner, team=team,
                                             note=note, created_on=_day(created_on, "created_on")
                                             if created_on else None),
                           actor=actor, levels=load_levels(settings.home))
        _show([view(d)], json_out)


@dockings_app.command("move")
def move(docking_id: Annotated[str, typer.Argument(help="Docking id")],
         to: Annotated[str, typer.Option("--to", help="Target stage code")],
         version: Annotated[int | None, typer.Option(help="Version you read (409 if stale)")]
         = None,
         reason: Annotated[str | None, typer.Option(help="When dropping: reason code")] = None,
         reason_note: Annotated[str | None, typer.Option(help="Free-text reason")] = None,
         never_suggest: Annotated[bool, typer.Option(help="Never suggest the pair again")]
         = False,
         contract_type: Annotated[str | None, typer.Option(
             help="When signing: transfer | license | development | service | consulting | "
                  "equity")] = None,
         value: Annotated[float | None, typer.Option(help="When signing: value in 万元")] = None,
         signed_on: Annotated[str | None, typer.Option(
             help="When signing: the contract's date 签约日期 YYYY-MM-DD (China date; KPIs "
                  "count the deal on it); default: today")] = None,
         note: Annotated[str | None, typer.Option(help="Free text")] = None,
         keep_open: Annotated[bool | None, typer.Option(help="Keep the need open after 验收")]
         = None,
         admin: Annotated[bool, typer.Option(help="Act as admin (may reopen)")] = False,
         actor: ActorOpt = None, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Move a docking along the allowed-moves table (drop with a reason, sign with a contract)."""
    from techmatch.matcher.batch.live import inputs_now
    from techmatch.matcher.dockings import Move, load_levels, move_docking, view

    with cli_errors(), _store(home) as (settings, store):
        contract = _contract(contract_type, value, signed_on)
        before = inputs_now(store, _need_of(store, docking_id))
        d = move_docking(store, docking_id,
                         Move(to=to, version=version, reason=reason, reason_note=reason_note,
                              never_suggest=never_suggest, contract=contract, note=note,
                              keep_open=keep_open),
                         actor=actor, admin=admin, levels=load_levels(settings.home))
        _show([view(d, admin=admin)], json_out)
        echo_waiting(store, before, [d.need_id], json_out=json_out)


def _contract(kind: str | None, value: float | None, day: str | None):  # type: ignore[no-untyped-def]
    import pydantic

    from techmatch.errors import ValidationError
    from techmatch.models.dockings import ContractTerms

    if kind is None and value is None and day is None:
        return None
    try:
        return ContractTerms.model_validate({"contract_type": kind, "value_wan": value,
                                             "signed_on": day})
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        raise ValidationError(str(err["msg"]), field=f"contract.{err['loc'][0]}") from None


@dockings_app.command("assign")
def assign(docking_id: Annotated[str, typer.Argument(help="Docking id")],
           owner: Annotated[str | None, typer.Option(help="负责人")] = None,
           team: Annotated[str | None, typer.Option(help="服务团")] = None,
           keep_open: Annotated[bool | None, typer.Option(help="Keep the need open after 验收")]
           = None,
           version: Annotated[int | None, typer.Option(help="Version you read")] = None,
           actor: ActorOpt = None, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Change owner / team / keep-open (logged in the history)."""
    from techmatch.matcher.dockings import Assign, assign_docking, view

    with cli_errors(), _store(home) as (_, store):
        d = assign_docking(store, docking_id, Assign(version=version, owner=owner, team=team,
                                                     keep_open=keep_open), actor=actor)
        _show([view(d)], json_out)


@dockings_app.command("list")
def list_command(need: Annotated[str | None, typer.Option(help="Need id")] = None,
                 candidate: Annotated[str | None, typer.Option(help="Candidate id")] = None,
                 stage: Annotated[list[str] | None, typer.Option(help="Stage (repeatable)")]
                 = None,
                 owner: Annotated[str | None, typer.Option()] = None,
                 team: Annotated[str | None, typer.Option()] = None,
                 source: Annotated[str | None, typer.Option()] = None,
                 overdue: Annotated[bool, typer.Option(help="Only overdue dockings")] = False,
                 offset: int = 0, limit: int = 50, home: HomeOpt = None,
                 json_out: JsonOpt = False) -> None:
    """List dockings (newest first) under filters."""
    from techmatch.matcher.dockings import DockingFilters, list_dockings

    with cli_errors(), _store(home) as (_, store):
        items, total = list_dockings(store, DockingFilters(
            need_id=need, candidate_id=candidate, stages=tuple(stage or ()), owner=owner,
            team=team, source=source, overdue=overdue), offset=offset, limit=limit)
        _show(items, json_out, total)


@dockings_app.command("get")
def get(docking_id: Annotated[str, typer.Argument(help="Docking id")], home: HomeOpt = None,
        json_out: JsonOpt = False) -> None:
    """One docking."""
    from techmatch.matcher.dockings import get_docking, view

    with cli_errors(), _store(home) as (_, store):
        _show([view(get_docking(store, docking_id))], json_out)


@dockings_app.command("history")
def history(docking_id: Annotated[str, typer.Argument(help="Docking id")],
            home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Every change of a docking: who, when, from, to, note."""
    from techmatch.matcher.dockings import docking_history

    with cli_errors(), _store(home) as (_, store):
        entries = docking_history(store, docking_id)
        if json_out:
            print_json([e.model_dump(mode="json") for e in entries])
            return
        for e in entries:
            typer.echo(f"v{e.version} {e.at:%Y-%m-%d %H:%M} {e.actor or '—'}: "
                       f"{e.from_label or '—'} → {e.to_label}" + (f"  {e.note}" if e.note else ""))


@dockings_app.command("import")
def import_command(path: Annotated[Path, typer.Argument(help="CSV / TSV / XLSX file")],
                   sheet: Annotated[str | None, typer.Option(help="XLSX sheet")] = None,
                   actor: ActorOpt = None, home: HomeOpt = None,
                   json_out: JsonOpt = False) -> None:
    """Import docking records from a staff spreadsheet; bad rows are listed, good rows load."""
    from techmatch.matcher.batch.live import inputs_now
    from techmatch.matcher.dockings import load_levels
    from techmatch.matcher.dockings.importer import import_dockings

    with cli_errors(), _store(home) as (settings, store):
        before = inputs_now(store)  # every need with stored results: those that can be stale
        report = import_dockings(store, path, actor=actor, sheet=sheet,
                                 levels=load_levels(settings.home))
        if json_out:
            print_json(report.model_dump())
        else:
            typer.echo(f"{report.file}：读取 {report.read} 行，导入 {report.imported} 行，"
                       f"拒绝 {report.rejected} 行")
            for e in report.errors:
                typer.echo(f"  第 {e.row} 行" + (f"，字段 {e.field}" if e.field else "")
                           + f"：{e.message}")
            for need_id in report.closed_needs:
                typer.echo(f"需求 {need_id} 状态改为 已关闭（需求已解决，不再进入每晚批量匹配）")
        if report.imported:
            echo_waiting(store, before, list(before), json_out=json_out)
    if report.rejected and not report.imported:
        raise typer.Exit(2)


def overdue(owner: Annotated[str | None, typer.Option(help="Only this owner")] = None,
            team: Annotated[str | None, typer.Option(help="Only this team")] = None,
            limit: int = 200, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Dockings past the due date of their stage (service levels: <home>/service_levels.json)."""
    from techmatch.matcher.dockings import DockingFilters, list_dockings

    with cli_errors(), _store(home) as (_, store):
        items, total = list_dockings(store, DockingFilters(owner=owner, team=team,
                                                           overdue=True), limit=limit)
        _show(items, json_out, total)


def kpis(start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (included)")],
         end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included)")],
         by: Annotated[str, typer.Option(help="Dimensions: city,industry,team,owner")]
         = "city,industry,team,owner",
         xlsx: Annotated[Path | None, typer.Option(help="Also write an XLSX (Chinese headers)")]
         = None,
         city: Annotated[str | None, typer.Option(help="Only this city (pilot city id or name)")]
         = None,
         industry: Annotated[str | None, typer.Option(help="Only this industry")] = None,
         team: Annotated[str | None, typer.Option(help="Only this team")] = None,
         owner: Annotated[str | None, typer.Option(help="Only this owner")] = None,
         home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Docking KPIs over a date window (China dates, UTC+8, both ends included); --city,
    --industry, --team, --owner keep those dockings and needs only (grouped by them or not)."""
    from techmatch.matcher.dockings.kpis import LABELS, kpi_report, table
    from techmatch.xlsx import Sheet, write_sheets

    with cli_errors(), _store(home) as (_, store):
        first, last = _day(start, "from"), _day(end, "to")
        filters = {k: v for k, v in (("city", city), ("industry", industry), ("team", team),
                                     ("owner", owner)) if v is not None}
        report = kpi_report(store, start=first, end=last,
                            by=[d.strip() for d in by.split(",") if d.strip()],
                            filters=filters)
        headers, rows = table(report)
        if xlsx is not None:
            write_sheets(xlsx, [Sheet(title=f"对接绩效 {first}～{last}", headers=headers,
                                      rows=rows)])
        if json_out:
            print_json(report.model_dump(mode="json"))
            return
        only = "、".join(f"{LABELS[k]}：{v}" for k, v in filters.items())
        typer.echo(f"对接绩效 {first} ～ {last}（北京时间日期，含两端）"
                   + (f"，仅 {only}" if only else ""))
        typer.echo(" | ".join(headers))
        for row in rows:
            typer.echo(" | ".join("—" if v is None else str(v) for v in row))
        if xlsx is not None:
            typer.echo(f"已写入 {xlsx}")


def _day(text: str, option: str) -> dt.date:
    from techmatch.errors import ValidationError

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"不是日期（应为 YYYY-MM-DD）：{text}", field=option) from None


def register(app: typer.Typer) -> None:
    app.add_typer(dockings_app)
    app.command("overdue")(overdue)
    app.command("kpis")(kpis)
