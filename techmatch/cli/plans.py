"""Commands that plan with scores: `assign` (service-team assignment) and `roadshow`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json, settings_for
from techmatch.errors import ValidationError
from techmatch.matcher.engine import Engine
from techmatch.xlsx import Sheet, write_sheets

if TYPE_CHECKING:
    from techmatch.matcher.assignment import WhyNot
    from techmatch.matcher.plans import TeamPlan
    from techmatch.matcher.roadshow import RoadshowPlan

OBJECTIVE_LABELS = {"total": "总匹配分最大", "fairness": "先保最差需求"}
XlsxOpt = Annotated[Path | None, typer.Option("--xlsx", help="Also write an Excel workbook.")]


def _ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _quotas(items: list[str] | None, field: str) -> dict[str, int]:
    """'苏州=3' items → {'苏州': 3}."""
    out: dict[str, int] = {}
    for item in items or []:
        name, sep, count = item.partition("=")
        if not sep or not name.strip() or not count.strip().isdigit():
            raise ValidationError(f"应为 名称=数量（如 苏州=3），收到 {item!r}", field=field)
        out[name.strip()] = int(count)
    return out


def _pairs(items: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for item in items or []:
        need_id, sep, expert_id = item.partition(":")
        if not sep or not need_id or not expert_id:
            raise ValidationError(f"应为 需求编号:专家编号，收到 {item!r}", field="why_not")
        out.append((need_id.strip(), expert_id.strip()))
    return out


def assign(
        team_file: Annotated[Path | None, typer.Option("--team", help="Service teams JSONL.")]
        = None,
        team_id: Annotated[str | None, typer.Option(help="Team id when the file has several.")]
        = None,
        experts: Annotated[str | None, typer.Option(help="Expert ids E1,E2,… (override the "
                                                         "team's).")] = None,
        needs: Annotated[str | None, typer.Option(help="Need ids N1,N2,… (override the "
                                                       "team's).")] = None,
        min_per_need: Annotated[int | None, typer.Option(help="Experts per need, at least.")]
        = None,
        max_per_need: Annotated[int | None, typer.Option(help="Experts per need, at most.")]
        = None,
        capacity: Annotated[int | None, typer.Option(help="Needs per expert (replaces the "
                                                          "records' capacity).")] = None,
        same_province: Annotated[bool, typer.Option(help="Only experts of the need's "
                                                         "province.")] = False,
        min_score: Annotated[float | None, typer.Option(
            min=0.0, max=1.0,
            help="Minimum confidence of a pair (default: the confidence threshold; 0: none).")]
        = None,
        quota_city: Annotated[list[str] | None, typer.Option(
            help="CITY=N: at least N needs of the city served (repeatable).")] = None,
        quota_industry: Annotated[list[str] | None, typer.Option(
            help="INDUSTRY=N: at least N needs of the industry served (repeatable).")] = None,
        fairness: Annotated[bool, typer.Option(help="Maximise the worst-served need first.")]
        = False,
        why_not: Annotated[list[str] | None, typer.Option(
            "--why-not", help="NEED:EXPERT pair to explain (repeatable).")] = None,
        alternates: Annotated[int, typer.Option(min=0, help="Alternates per need.")] = 3,
        home: HomeOpt = None, json_out: JsonOpt = False, xlsx: XlsxOpt = None) -> None:
    """Assign experts to needs under capacity, conflict, region and quota constraints.

    Infeasible constraints print which constraint fails and by how much (exit code 7).
    """
    from techmatch.matcher.assignment import Constraints
    from techmatch.matcher.plans import load_teams, per_need_limits, pick_team, plan_team
    from techmatch.matcher.service import MatchService
    from techmatch.models.validation_zh import message_zh

    with cli_errors():
        team = pick_team(load_teams(team_file), team_id) if team_file else None
        if team is None and not (experts and needs):
            raise ValidationError("请给出 --team FILE，或同时给出 --experts 和 --needs",
                                  field="team")
        low, high = per_need_limits(team, min_per_need, max_per_need)
        try:
            constraints = Constraints(
                min_experts_per_need=low, max_experts_per_need=high, default_capacity=capacity,
                same_province=same_province, min_score=min_score,
                city_quotas=_quotas(quota_city, "quota_city"),
                industry_quotas=_quotas(quota_industry, "quota_industry"))
        except pydantic.ValidationError as exc:  # pydantic's error: report it as a bad option
            message = message_zh(exc.errors()[0], "constraints")
            raise ValidationError(message, field="constraints") from None
        questions = _pairs(why_not)
        engine = Engine.open(settings_for(home))
        plan = plan_team(engine, MatchService(engine), team=team, expert_ids=_ids(experts),
                         need_ids=_ids(needs), constraints=constraints,
                         objective="fairness" if fairness else "total", alternates=alternates)
        answers = plan.why_not(questions)
        if json_out:
            print_json({**plan.assignment.model_dump(mode="json"),
                        "why_not": [w.model_dump(mode="json") for w in answers]})
        else:
            _print_assignment(plan, answers)
        if xlsx is not None:
            write_sheets(xlsx, _assignment_sheets(plan, answers))
            typer.echo(f"已写入 {xlsx}", err=True)
        plan.assignment.raise_for_status()


def _names(plan: TeamPlan) -> tuple[dict[str, Any], dict[str, Any]]:
    return ({n.id: n for n in plan.problem.needs}, {e.id: e for e in plan.problem.experts})


def _print_assignment(plan: TeamPlan, answers: list[WhyNot]) -> None:
    a = plan.assignment
    needs, experts = _names(plan)
    worst = f" · 最低需求得分 {a.worst_need_score:.3f}" if a.worst_need_score is not None else ""
    goal = OBJECTIVE_LABELS.get(a.objective, a.objective)
    typer.echo(f"方案状态 {a.status_label}（{a.status.value}）· 总分 {a.total_score:.3f}{worst} · "
               f"目标 {goal} · 求解器 {a.solver} · 用时 {a.seconds:.2f} 秒")
    for result in a.needs if a.solved else []:
        need = needs[result.need_id]
        typer.echo(f"{need.id} {need.display_title} ({need.enterprise or '-'}, "
                   f"{need.city or '-'}) [{result.min_experts}–{result.max_experts}]")
        for pair in result.experts:
            expert = experts[pair.expert_id]
            typer.echo(f"   → {expert.id} {expert.name} ({expert.organization or '-'}) "
                       f"{pair.score:.3f}")
        if result.unserved_text:
            typer.echo(f"   {result.unserved_text}")
        if result.alternates:
            typer.echo("   备选：" + "，".join(
                f"{x.expert_id} {x.score:.3f}{'' if x.has_capacity else '（已满）'}"
                for x in result.alternates))
    if a.uncovered:
        typer.echo(f"无法覆盖的需求 {len(a.uncovered)} 条（其余需求照常派单）：")
        for u in a.uncovered:
            typer.echo(f"   {u.need_id} {needs[u.need_id].display_title}：{u.text}"
                       f"（{u.reason}）")
        for d in a.diagnostics:
            typer.echo(f"   诊断：{d.text}")
    if a.solved:
        typer.echo("专家负载（已派/容量）：" + "，".join(f"{x.expert_id} {x.load}/{x.capacity}"
                                                      for x in a.experts))
        idle = [f"{x.expert_id}（{x.blocked_text}）" for x in a.experts
                if not x.load and x.blocked]
        if idle:
            typer.echo("未派且不能服务部分需求的专家：" + "，".join(idle))
    for answer in answers:
        typer.echo(f"为何未分配 {answer.need_id}:{answer.expert_id}：{answer.text}"
                   f"（{answer.reason}）")


def _assignment_sheets(plan: TeamPlan, answers: list[WhyNot]) -> list[Sheet]:
    a = plan.assignment
    needs, experts = _names(plan)
    pairs = [[p.need_id, needs[p.need_id].display_title, needs[p.need_id].enterprise,
              needs[p.need_id].city, p.expert_id, experts[p.expert_id].name,
              experts[p.expert_id].organization, round(p.score, 4)] for p in a.pairs]
    per_need = [[r.need_id, needs[r.need_id].display_title, len(r.experts), r.min_experts,
                 r.max_experts, round(r.total_score, 4),
                 "、".join(f"{x.expert_id}({x.score:.2f})" for x in r.alternates),
                 r.unserved_text] for r in a.needs]
    loads = [[x.expert_id, experts[x.expert_id].name, x.load, x.capacity, "、".join(x.needs),
              x.blocked_text] for x in a.experts]
    why = [[w.need_id, w.expert_id, w.reason_label, w.score, w.text] for w in answers]
    diag = [[d.constraint_label, d.subject, d.required, d.available, d.shortfall, d.text]
            for d in a.diagnostics]
    uncovered = [[u.need_id, needs[u.need_id].display_title, u.reason_label, u.text, u.reason]
                 for u in a.uncovered]
    summary: list[list[Any]] = [["状态", a.status_label], ["总分", round(a.total_score, 4)],
               ["无法覆盖的需求数", len(a.uncovered)],
               ["最差需求得分", None if a.worst_need_score is None
                else round(a.worst_need_score, 4)],
               ["目标", OBJECTIVE_LABELS.get(a.objective, a.objective)], ["求解器", a.solver]]
    return [
        Sheet("分配结果", ["需求编号", "需求标题", "企业", "城市", "专家编号", "专家姓名", "单位",
                      "匹配分"], pairs),
        Sheet("需求", ["需求编号", "需求标题", "已分配专家数", "最少专家数", "最多专家数",
                       "得分合计", "备选专家", "未分配原因"], per_need),
        Sheet("专家负荷", ["专家编号", "姓名", "已分配需求数", "容量", "需求", "不能服务的需求"],
              loads),
        Sheet("未分配原因", ["需求编号", "专家编号", "原因", "匹配分", "说明"], why),
        Sheet("无法覆盖的需求", ["需求编号", "需求标题", "原因", "说明", "原因代码"], uncovered),
        Sheet("不可行诊断", ["约束", "对象", "需要", "可用", "缺口", "说明"], diag),
        Sheet("概要", ["项目", "值"], summary),
    ]


def roadshow(
        city: Annotated[str, typer.Option(help="City of the roadshow (the needs' city).")],
        slots: Annotated[int, typer.Option(min=1, help="Achievements to present.")],
        industry: Annotated[str | None, typer.Option(help="Industry (default: all).")] = None,
        invites: Annotated[int, typer.Option(min=0, help="Enterprises invited per "
                                                         "achievement.")] = 5,
        date: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"],
                                                      help="Date YYYY-MM-DD.")] = None,
        prefer_province: Annotated[bool, typer.Option(
            help="Favour achievements from the city's province.")] = False,
        min_score: Annotated[float | None, typer.Option(
            min=0.0, max=1.0,
            help="Pairs below count as no match (default: the confidence threshold).")] = None,
        overseas: Annotated[bool, typer.Option(
            help="海外人才中国行: overseas experts' achievements and presenters only.")] = False,
        home: HomeOpt = None, json_out: JsonOpt = False, xlsx: XlsxOpt = None) -> None:
    """Plan a roadshow: achievements covering the most local demand, invitees, presenters."""
    from techmatch.matcher.plans import plan_city_roadshow
    from techmatch.matcher.service import MatchService

    with cli_errors():
        engine = Engine.open(settings_for(home))
        plan = plan_city_roadshow(engine, MatchService(engine), city=city, industry=industry,
                                  slots=slots, invites_per_achievement=invites,
                                  date=date.date() if date else None,
                                  prefer_province=prefer_province, min_score=min_score,
                                  overseas=overseas)
        if json_out:
            print_json(plan.model_dump(mode="json"))
        else:
            _print_roadshow(plan)
        if xlsx is not None:
            write_sheets(xlsx, _roadshow_sheets(plan))
            typer.echo(f"已写入 {xlsx}", err=True)


def _print_roadshow(plan: RoadshowPlan) -> None:
    head = " · ".join(str(x) for x in (plan.city, plan.industry, plan.date) if x)
    typer.echo(f"路演 {head} · 成果 {len(plan.items)}/{plan.slots} 项 · 覆盖需求分 "
               f"{plan.total_covered_demand:.3f}")
    for item in plan.items:
        typer.echo(f"{item.rank}. {item.achievement_id} {item.title}（覆盖增益 "
                   f"{item.covered_demand:.3f}：{'、'.join(item.covered_needs)}）")
        if item.expert is not None:
            typer.echo(f"   主讲专家 {item.expert.expert_id} {item.expert.name}"
                       f"（{item.expert.role_label}）：{item.expert.reason}")
        for v in item.invitees:
            more = f" +{'、'.join(v.other_need_ids)}" if v.other_need_ids else ""
            typer.echo(f"   邀请 {v.enterprise or '-'} [{v.need_id}{more}]：{v.reason}")
    for d in plan.skipped_duplicates:
        typer.echo(f"未选 {d.achievement_id}：与 {d.duplicate_of} 近似重复"
                   f"（相似度 {d.similarity:.3f}）")
    for note in plan.notes:
        typer.echo(f"说明：{note}")


def _roadshow_sheets(plan: RoadshowPlan) -> list[Sheet]:
    items = [[i.rank, i.achievement_id, i.title, round(i.covered_demand, 4),
              "、".join(i.covered_needs), i.expert.expert_id if i.expert else None,
              i.expert.name if i.expert else None, i.expert.role_label if i.expert else None,
              i.expert.reason if i.expert else None] for i in plan.items]
    invites = [[i.rank, i.achievement_id, v.need_id, v.enterprise, round(v.score, 4),
                "、".join(v.shared_keywords), "、".join(v.other_need_ids), v.reason]
               for i in plan.items for v in i.invitees]
    dups = [[d.achievement_id, d.duplicate_of, round(d.similarity, 4)]
            for d in plan.skipped_duplicates]
    dropped = [[x.need_id, x.candidate_id, x.reason_label] for x in plan.excluded]
    summary: list[list[Any]] = [["城市", plan.city], ["行业", plan.industry or "全部"],
               ["日期", plan.date or "待定"], ["路演名额", plan.slots],
               ["已排成果数", len(plan.items)],
               ["每项邀请企业数", plan.invites_per_achievement],
               ["覆盖需求分", round(plan.total_covered_demand, 4)],
               *[["说明", note] for note in plan.notes]]
    return [
        Sheet("路演成果", ["序号", "成果编号", "成果名称", "覆盖需求分", "覆盖需求", "路演专家编号",
                      "专家姓名", "专家角色", "专家理由"], items),
        Sheet("邀请企业", ["序号", "成果编号", "需求编号", "企业", "匹配分", "共同关键词",
                      "同企业其他需求", "邀请理由"], invites),
        Sheet("近似重复", ["成果编号", "重复于", "相似度"], dups),
        Sheet("已终止不邀请", ["需求编号", "成果编号", "终止原因"], dropped),
        Sheet("概要", ["项目", "值"], summary),
    ]


def register(app: typer.Typer) -> None:
    app.command()(assign)
    app.command()(roadshow)
