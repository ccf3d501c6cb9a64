"""`techmatch programme …`: registries, imports, targets, overdue milestones, roadshow events,
the training planner, the KPI dashboard and the industry taxonomy.

The CLI acts with the rights of whoever can open the data folder (or the store URL): role
checks belong to the HTTP API. Commands that only read or write programme records open the
store alone; planning commands also load the engine (encoder and indexes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json, settings_for
from techmatch.errors import ValidationError
from techmatch.matcher.dockings.tracking import amount_text
from techmatch.models.programme import EVENT_STATUS_LABELS, china_today
from techmatch.store import Store

programme_app = typer.Typer(name="programme", no_args_is_help=True,
                            help="科创中国项目管理: pilot cities, teams, events, targets, "
                                 "dashboard, training planner.")
KindArg = Annotated[str, typer.Argument(help="city | organisation | team | dispatch | "
                                             "workstation | order | event | milestone")]
DateOpt = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")]
CityOpt = Annotated[str | None, typer.Option(help="City.")]


@contextmanager
def _store(home: Path | None, *, new_home: bool = False) -> Iterator[Store]:
    from techmatch.store.factory import open_store

    store = open_store(settings_for(home, new_home=new_home))
    try:
        yield store
    finally:
        store.close()


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _registry(kind: str) -> str:
    """A registry kind in staff's words (试点城市、服务团队 …; `target` is 目标)."""
    from techmatch.models.programme import REGISTRY_LABELS

    return {**REGISTRY_LABELS, "target": "目标"}.get(kind, kind)


def _warning(file: str, text: str) -> str:
    """A warning line naming its file once (row warnings name it already)."""
    return f"警告：{text}" if text.startswith(file) else f"警告：{file}：{text}"


@programme_app.command("import")
def import_(kind: Annotated[str, typer.Argument(help="A registry kind, or `target`.")],
            files: Annotated[list[Path], typer.Argument(help="CSV / XLSX / JSONL files.")],
            sheet: Annotated[str | None, typer.Option(help="XLSX sheet.")] = None,
            home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Import records (Chinese or English headers); bad rows are reported by row and field.

    Exit code 2 when a file had rows and none of them could be stored.
    """
    from techmatch.matcher.programme import import_file

    with cli_errors(), _store(home, new_home=True) as store:
        reports = [import_file(store, kind, f, sheet=sheet) for f in files]
        if json_out:
            print_json([r.as_dict() for r in reports])
        for r in reports:
            if not json_out:
                typer.echo(f"{r.file}：读取 {r.read} 行，新增 {len(r.created)} 条，更新 "
                           f"{len(r.updated)} 条，拒绝 {r.as_dict()['rejected']} 行")
            for w in r.warnings:
                typer.echo(_warning(r.file, w), err=True)
            for e in r.errors:
                typer.echo(f"错误：{e.text()}", err=True)
        if any(r.read and not (r.created or r.updated) for r in reports):
            raise typer.Exit(2)


@programme_app.command("load-folder")
def load_folder(folder: Annotated[Path, typer.Argument(help="e.g. data/samples/programme")],
                home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Import every known file of a folder (pilot_cities, programme_teams, events, targets …)."""
    from techmatch.matcher.programme.imports import import_folder

    with cli_errors(), _store(home, new_home=True) as store:
        reports = import_folder(store, folder)
        if json_out:
            print_json([r.as_dict() for r in reports])
            return
        for r in reports:
            typer.echo(f"{_registry(r.kind)}：{r.file} 已存入 "
                       f"{len(r.created) + len(r.updated)}/{r.read} 行")
            for w in r.warnings:
                typer.echo(_warning(r.file, w), err=True)
            for e in r.errors:
                typer.echo(f"错误：{e.text()}", err=True)


@programme_app.command("list")
def list_(kind: KindArg, city: CityOpt = None,
          ref: Annotated[str | None, typer.Option(help="Team of a dispatch/event, expert of a "
                                                       "workstation.")] = None,
          start: Annotated[dt.datetime | None, typer.Option(
              "--from", formats=["%Y-%m-%d"], help="From date (inclusive).")] = None,
          end: Annotated[dt.datetime | None, typer.Option(
              "--to", formats=["%Y-%m-%d"], help="To date (inclusive).")] = None,
          overseas: Annotated[bool | None, typer.Option(
              "--overseas/--domestic", help="Overseas strand only / without it.")] = None,
          home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """List records of a registry by date and id."""
    from techmatch.matcher.programme import items

    with cli_errors(), _store(home) as store:
        found = items(store, kind, city=city, ref=ref, start=_day(start), end=_day(end),
                      overseas=overseas)
        if json_out:
            print_json([i.model_dump(mode="json") for i in found])
            return
        for i in found:
            label = getattr(i, "title", None) or getattr(i, "name", "")
            where = "、".join(getattr(i, "cities", None) or [getattr(i, "city", None) or ""])
            typer.echo(f"{i.id}  {label}  {where}")


@programme_app.command("show")
def show(kind: KindArg, item_id: Annotated[str, typer.Argument(help="Id (a city's name).")],
         home: HomeOpt = None) -> None:
    """One record as JSON."""
    from techmatch.matcher.programme import get

    with cli_errors(), _store(home) as store:
        print_json(get(store, kind, item_id).model_dump(mode="json"))


@programme_app.command("delete")
def delete(kind: KindArg, item_id: Annotated[str, typer.Argument(help="Id.")],
           home: HomeOpt = None) -> None:
    """Delete one record."""
    from techmatch.matcher.programme import remove

    with cli_errors(), _store(home) as store:
        remove(store, kind, item_id)
        typer.echo(f"已删除{_registry(kind)} {item_id}")


@programme_app.command("targets")
def targets(year: Annotated[list[int] | None, typer.Option(help="Year (repeatable).")] = None,
            city: CityOpt = None, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Targets per year, city and metric."""
    from techmatch.matcher.programme import list_targets
    from techmatch.models.programme import METRIC_LABELS

    with cli_errors(), _store(home) as store:
        found = list_targets(store, years=year or [], city=city)
        if json_out:
            print_json([t.model_dump(mode="json") for t in found])
            return
        for t in found:
            typer.echo(f"{t.year} {t.city} {METRIC_LABELS[t.metric]}({t.metric}) "
                       f"{amount_text(t.value)}")


@programme_app.command("delete-target")
def delete_target(year: Annotated[int, typer.Argument(min=2000, max=2100, help="Year.")],
                  city: Annotated[str, typer.Argument(help="City (全国 for national).")],
                  metric: Annotated[str, typer.Argument(help="Metric code or Chinese name.")],
                  home: HomeOpt = None) -> None:
    """Remove one target (e.g. one typed for the wrong city)."""
    from techmatch.matcher.programme import delete_target as remove

    with cli_errors(), _store(home) as store:
        remove(store, year=year, city=city, metric=metric)
        typer.echo(f"已删除 {year} 年 {city} 的目标 {metric}")


@programme_app.command("overdue")
def overdue(today: DateOpt = None, city: CityOpt = None, home: HomeOpt = None,
            json_out: JsonOpt = False) -> None:
    """Milestones past their due date and not done."""
    from techmatch.matcher.programme import overdue_milestones

    with cli_errors(), _store(home) as store:
        found = overdue_milestones(store, today=_day(today) or china_today(), city=city)
        if json_out:
            print_json([o.model_dump(mode="json") for o in found])
            return
        for o in found:
            m = o.milestone
            typer.echo(f"{m.id} {m.city} {m.title} 截止 {m.due} 超期 {o.days_late} 天 "
                       f"负责人 {m.owner or '-'}")


@programme_app.command("dashboard")
def dashboard(start: Annotated[dt.datetime, typer.Option("--from", formats=["%Y-%m-%d"],
                                                         help="Window start (inclusive).")],
              end: Annotated[dt.datetime, typer.Option("--to", formats=["%Y-%m-%d"],
                                                       help="Window end (inclusive).")],
              city: CityOpt = None, today: DateOpt = None,
              xlsx: Annotated[Path | None, typer.Option(help="Write an Excel workbook.")] = None,
              png: Annotated[Path | None, typer.Option(help="Write the chart (PNG).")] = None,
              home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Actual against target per city, industry and team, with the national roll-up."""
    from techmatch.matcher.programme import dashboard as build
    from techmatch.matcher.programme.exports import (
        draw_dashboard,
        note_text,
        write_dashboard_xlsx,
    )

    with cli_errors(), _store(home) as store:
        board = build(store, start=start.date(), end=end.date(), city=city, today=_day(today))
        if json_out:
            print_json(board.model_dump(mode="json"))
        else:
            for row in [*board.cities, board.national]:
                cells = "  ".join(f"{c.label} {amount_text(c.actual)}" + (
                    f"/{amount_text(c.target)}" if c.target is not None else "")
                    for c in row.cells if c.actual or c.target is not None)
                typer.echo(f"{row.city}: {cells or '—'}")
            for o in board.overdue:
                typer.echo(f"超期节点 {o.milestone.id} {o.milestone.title}（{o.days_late} 天）")
            for note in board.notes:
                typer.echo(f"说明：{note_text(note)}")
        if xlsx is not None:
            write_dashboard_xlsx(board, xlsx)
            typer.echo(f"已写入 {xlsx}", err=True)
        if png is not None:
            draw_dashboard(board, png)
            typer.echo(f"已写入 {png}", err=True)


@programme_app.command("roadshow-event")
def roadshow_event(
        event_id: Annotated[str, typer.Option(help="Id of the new event.")],
        city: Annotated[str, typer.Option(help="City of the roadshow.")],
        slots: Annotated[int, typer.Option(min=1, help="Achievements to present.")],
        date: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")],
        industry: Annotated[str | None, typer.Option(help="Industry (rolls down the "
                                                          "taxonomy).")] = None,
        invites: Annotated[int, typer.Option(min=0, help="Enterprises per achievement.")] = 5,
        team: Annotated[str | None, typer.Option(help="Service team id.")] = None,
        title: Annotated[str | None, typer.Option(help="Event title.")] = None,
        overseas: Annotated[bool, typer.Option(help="海外人才中国行: overseas experts' "
                                                    "achievements and presenters.")] = False,
        dockings: Annotated[bool, typer.Option(help="Turn the invitations into dockings.")]
        = False,
        actor: Annotated[str | None, typer.Option(help="Who acts.")] = None,
        min_score: Annotated[float | None, typer.Option(help="Pairs below count as no "
                                                             "match.")] = None,
        home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Plan a roadshow and save it as an event (optionally with its dockings)."""
    from techmatch.matcher.dockings import load_levels
    from techmatch.matcher.engine import Engine
    from techmatch.matcher.plans import plan_city_roadshow
    from techmatch.matcher.programme import get, record_dockings, save_event
    from techmatch.matcher.programme import roadshow_event as to_event
    from techmatch.matcher.service import MatchService
    from techmatch.models.records import Expert

    with cli_errors():
        engine = Engine.open(settings_for(home))
        try:
            plan = plan_city_roadshow(engine, MatchService(engine), city=city, industry=industry,
                                      slots=slots, invites_per_achievement=invites,
                                      date=date.date(), min_score=min_score, overseas=overseas)
            experts = {e.id: e for e in engine.store.iter_records("expert")
                       if isinstance(e, Expert)}
            event = save_event(engine.store, to_event(plan, event_id=event_id, title=title,
                                                      team_id=team, overseas=overseas,
                                                      experts=experts))
            links = (record_dockings(engine.store, event.id, actor=actor,
                                     levels=load_levels(engine.settings.home))
                     if dockings else [])
            event = get(engine.store, "event", event.id)
        finally:
            engine.close()
        if json_out:
            print_json({"event": event.model_dump(mode="json"),
                        "dockings": [x.model_dump(mode="json") for x in links]})
            return
        invited = [p for p in event.participants if p.role == "invitee"]
        typer.echo(f"已保存为路演活动 {event.id} {event.title} {event.date}：成果 "
                   f"{len(plan.items)} 项，邀请 {len(invited)} 家，对接 {len(links)} 条")


@programme_app.command("event-dockings")
def event_dockings(event_id: Annotated[str, typer.Argument(help="Event id.")],
                   actor: Annotated[str | None, typer.Option(help="Who acts.")] = None,
                   created_on: Annotated[dt.datetime | None, typer.Option(
                       formats=["%Y-%m-%d"],
                       help="创建日期 YYYY-MM-DD of the new dockings (China date, not after "
                            "today); default: the event's date (today if it is ahead)")] = None,
                   home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Turn an event's invitations into dockings (existing ones are linked, not duplicated),
    created on the event's date unless --created-on says otherwise."""
    from techmatch.matcher.dockings import load_levels
    from techmatch.matcher.programme import record_dockings

    with cli_errors(), _store(home) as store:
        links = record_dockings(store, event_id, actor=actor,
                                levels=load_levels(settings_for(home).home),
                                created_on=_day(created_on))
        if json_out:
            print_json([x.model_dump(mode="json") for x in links])
            return
        for x in links:
            typer.echo(f"{x.need_id} → {x.achievement_id}: {x.docking_id}"
                       f"{'' if x.created else '（已有）'}")


@programme_app.command("outcome")
def outcome(event_id: Annotated[str, typer.Argument(help="Event id.")],
            status: Annotated[str | None, typer.Option(help="planned | held | cancelled")]
            = None,
            attendance: Annotated[int | None, typer.Option(min=0)] = None,
            notes: Annotated[str | None, typer.Option()] = None,
            attended: Annotated[str | None, typer.Option(help="Need ids N1,N2 of the invited "
                                                              "enterprises that came.")] = None,
            home: HomeOpt = None) -> None:
    """Record what happened at an event."""
    from techmatch.matcher.programme import set_outcome

    with cli_errors(), _store(home) as store:
        if status not in (None, "planned", "held", "cancelled"):
            raise ValidationError(f"未知状态 {status!r}；可选：planned（计划）、held（已举办）、"
                                  f"cancelled（取消）", field="status")
        ids = [x.strip() for x in (attended or "").split(",") if x.strip()]
        event = set_outcome(store, event_id, status=status, attendance=attendance,
                            notes=notes, attended=ids)
        typer.echo(f"{event.id}：{EVENT_STATUS_LABELS.get(event.status, event.status)}"
                   f"（{event.status}）")


@programme_app.command("training")
def training(city: CityOpt = None,
             industry: Annotated[str | None, typer.Option(help="Industry.")] = None,
             date: DateOpt = None,
             experts: Annotated[int, typer.Option(min=1, help="Experts per topic.")] = 3,
             invites: Annotated[int, typer.Option(min=0, help="Enterprises per topic.")] = 10,
             overseas_only: Annotated[bool, typer.Option(help="Only overseas experts.")]
             = False,
             save_topic: Annotated[int | None, typer.Option(
                 help="Save topic number N (1-based) as a training event.")] = None,
             event_id: Annotated[str | None, typer.Option(help="Id of the saved event.")]
             = None,
             home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Cluster unmet demand into training topics with experts and invitees (and save one)."""
    from techmatch.matcher.engine import Engine
    from techmatch.matcher.programme import plan_training, save_event, training_event
    from techmatch.matcher.service import MatchService

    with cli_errors():
        if save_topic is not None and (event_id is None or date is None):
            raise ValidationError("--save-topic 需要同时给出 --event-id 和 --date",
                                  field="event_id")
        engine = Engine.open(settings_for(home))
        try:
            plan = plan_training(engine, MatchService(engine), city=city, industry=industry,
                                 date=_day(date), experts_per_topic=experts,
                                 invites_per_topic=invites, overseas_only=overseas_only)
            saved = None
            if save_topic is not None:
                if not 1 <= save_topic <= len(plan.topics):
                    raise ValidationError(f"没有第 {save_topic} 个主题；共 {len(plan.topics)} 个",
                                          field="save_topic")
                saved = save_event(engine.store, training_event(
                    plan.topics[save_topic - 1], event_id=event_id or "",
                    date=_day(date) or china_today()))
        finally:
            engine.close()
        if json_out:
            out: dict[str, Any] = plan.model_dump(mode="json")
            out["saved_event"] = saved.id if saved else None
            print_json(out)
            return
        for note in plan.notes:
            typer.echo(f"说明：{note}")
        for n, t in enumerate(plan.topics, start=1):
            typer.echo(f"{n}. {t.city} · {t.topic}  需求 {', '.join(t.need_ids)}")
            for note in t.notes:
                typer.echo(f"   说明：{note}")
            for e in t.experts:
                typer.echo(f"   专家 {e.expert_id} {e.name}: {e.reason}")
            for v in t.invitees:
                typer.echo(f"   邀请 {v.enterprise or v.need_id}: {v.reason}")
        if saved is not None:
            typer.echo(f"已保存为培训活动 {saved.id} {saved.title}")


@programme_app.command("taxonomy")
def taxonomy(text: Annotated[str | None, typer.Argument(help="Industry text to map.")] = None,
             json_out: JsonOpt = False) -> None:
    """Show the industry taxonomy, or map a free-text industry onto it."""
    from techmatch.models.industries import load_taxonomy

    with cli_errors():
        tax = load_taxonomy()
        if text is not None:
            m = tax.map_text(text)
            data = {"text": text, "code": m.code, "name": m.name, "how": m.how,
                    "path": tax.path(m.code) if m.code else None}
            if json_out:
                print_json(data)
            else:
                typer.echo(f"{text} → {data['path'] or '（未映射）'} [{m.code or '-'}, {m.how}]")
            return
        if json_out:
            print_json([n.as_dict() for n in tax.iter_nodes()])
            return
        for n in tax.iter_nodes():
            typer.echo(f"{'  ' * (n.level - 1)}{n.code} {n.name}")


def register(app: typer.Typer) -> None:
    app.add_typer(programme_app)
