"""Service-level plans: a service team's assignment and a city roadshow, from stored records.

Both read records from the engine's store, score pairs with the ranking service and hand the
arrays to the pure planners (`matcher.assignment`, `matcher.roadshow`).

Roadshow scores: achievement → need uses `MatchService.score_pairs` (need as query,
achievements as candidates, transposed). Achievement ↔ achievement similarity and expert →
achievement fit are dense cosines of index vectors, because `score_pairs` takes needs as
queries only; experts who own the achievement are preferred by the planner anyway, the
cosine only ranks commentators.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pydantic

from techmatch.errors import NotFoundError, ValidationError, no_such
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.assignment import (
    Assignment,
    AssignmentProblem,
    Constraints,
    WhyNot,
    assign,
    encode,
    why_not,
)
from techmatch.matcher.dockings.effects import excluded_pairs
from techmatch.matcher.duplicates import DEFAULT_THRESHOLD
from techmatch.matcher.engine import Engine
from techmatch.matcher.roadshow import RoadshowPlan, invitee_reason, plan_roadshow
from techmatch.matcher.taxonomy import headline, industry_matches, industry_path
from techmatch.models.dockings import ExcludedPair
from techmatch.models.programme import Event
from techmatch.models.records import Achievement, Expert, Need, Record, ServiceTeam
from techmatch.models.results import Filters, Ranking
from techmatch.models.validation_zh import message_zh
from techmatch.store.programme import ProgrammeRepo

PREFER_PROVINCE_BONUS = 0.1  # added to achievement→need scores of same-province achievements
MAX_ALL_ACHIEVEMENTS = 2_000  # above this, roadshow candidates come from retrieval
ROADSHOW_DEPTH = 50  # achievements retrieved per local need when the library is large


class PairScorer(Protocol):
    """What plans need from the ranking service (MatchService or a test fake)."""

    def score_pairs(self, needs: Sequence[Need], candidates: Sequence[Record], *,
                    target: str) -> np.ndarray: ...

    def match_many(self, needs: Sequence[Need], *, target: str, k: int = 10,
                   filters: Filters | None = None, explain: bool = True) -> list[Ranking]: ...


# -- service teams ---------------------------------------------------------------------------

def load_teams(path: Path) -> list[ServiceTeam]:
    """Service teams from a JSONL file (one team per line); errors name the file and row."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a BOM is not JSON
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"无法读取文件：{exc}", source=str(path)) from exc
    teams = []
    for row, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            teams.append(ServiceTeam.model_validate_json(line))
        except pydantic.ValidationError as exc:
            raise ValidationError(message_zh(exc.errors()[0]), source=str(path), row=row,
                                  field=".".join(map(str, exc.errors()[0]["loc"])) or None
                                  ) from None
    if not teams:
        raise ValidationError("文件中没有服务团", source=str(path))
    return teams


def pick_team(teams: Sequence[ServiceTeam], team_id: str | None) -> ServiceTeam:
    """The team with `team_id`, or the only team when no id is given."""
    if team_id is None:
        if len(teams) == 1:
            return teams[0]
        raise ValidationError(f"{len(teams)} teams in the file; pick one with --team-id "
                              f"({', '.join(t.id for t in teams)})", field="team_id")
    for team in teams:
        if team.id == team_id:
            return team
    raise NotFoundError(f"没有服务团 {team_id}（现有：{'、'.join(t.id for t in teams)}）")


def _same(value: str | None, wanted: str | None) -> bool:
    return wanted is None or normalize(value or "") == normalize(wanted)


def _records(engine: Engine, ids: Sequence[str], kind: str) -> list[Record]:
    found = engine.store.get_many(ids)
    missing = [i for i in ids if i not in found or found[i].kind != kind]
    if missing:
        raise no_such(kind, missing)
    return [found[i] for i in dict.fromkeys(ids)]


def open_needs(engine: Engine, *, city: str | None = None, province: str | None = None,
               industry: str | None = None) -> list[Need]:
    """Open needs located in `city` / `province` and of `industry` (None = any), by id.

    `city` is a place as the programme dashboard keys it (`programme.places.Places`): a
    pilot city's id (朝阳（辽宁）, 朝阳(辽宁省)) or a name, a need being in it by its city and
    province — 朝阳 in 辽宁 and in 北京 are two places, and a name several pilot cities
    share is refused (ValidationError field `city`) unless `province` tells which.
    `industry` rolls down the taxonomy (集成电路 ⊂ 电子核心产业 ⊂ 新一代信息技术产业); see
    `matcher.taxonomy.industry_matches`."""
    from techmatch.matcher.programme.places import Places

    inside = Places.of(engine.store).holds(city, province) if city is not None else None
    return [n for n in engine.store.iter_records("need")
            if isinstance(n, Need) and n.status == "open"
            and (inside is None or inside(n)) and _same(n.province, province)
            and industry_matches(n.industry, industry, text=headline(n))]


def _servable(needs: list[Record]) -> list[Need]:
    """Needs named by id, refusing closed ones: an expert dispatched there would serve nobody
    and hold a slot of its capacity (a team file may list a need closed since)."""
    closed = [n.id for n in needs if isinstance(n, Need) and n.status == "closed"]
    if closed:
        raise ValidationError(f"{'、'.join(closed)} 已关闭，不能派单，请从需求编号中删去",
                              field="need_ids")
    return needs  # type: ignore[return-value]


def team_needs(engine: Engine, team: ServiceTeam | None, need_ids: Sequence[str]) -> list[Need]:
    """Explicit ids, else the team's needs, else the open needs of the team's region/industry;
    needs named by id may be open or matched, not closed."""
    if need_ids:
        return _servable(_records(engine, need_ids, "need"))
    if team is None:
        raise ValidationError("请选择需求或服务团", field="need_ids")
    if team.needs:
        return _servable(_records(engine, team.needs, "need"))
    if not (team.city or team.province or team.industry):
        raise ValidationError(f"服务团 {team.id} 没有列出需求，也没有城市、省份或行业范围",
                              field="team.needs")
    return open_needs(engine, city=team.city, province=team.province, industry=team.industry)


def team_experts(engine: Engine, team: ServiceTeam | None,
                 expert_ids: Sequence[str]) -> list[Expert]:
    ids = list(expert_ids) or (team.experts if team is not None else [])
    if not ids:
        raise ValidationError("请选择专家或含专家的服务团",
                              field="expert_ids")
    return _records(engine, ids, "expert")  # type: ignore[return-value]


def per_need_limits(team: ServiceTeam | None, low: int | None = None,
                    high: int | None = None) -> tuple[int, int]:
    """(min, max) experts per need: as given, else the team's, else 1 and max(min, 2)."""
    if low is None:
        low = team.min_experts_per_need if team else 1
    if high is None:
        high = team.max_experts_per_need if team else max(low, 2)
    return low, high


def team_constraints(team: ServiceTeam | None, constraints: Constraints | None) -> Constraints:
    """`constraints` as given; when None, the per-need limits of `per_need_limits`."""
    if constraints is not None:
        return constraints
    low, high = per_need_limits(team)
    return Constraints(min_experts_per_need=low, max_experts_per_need=high)


def team_problem(engine: Engine, service: PairScorer, *, team: ServiceTeam | None = None,
                 expert_ids: Sequence[str] = (), need_ids: Sequence[str] = (),
                 constraints: Constraints | None = None) -> AssignmentProblem:
    """Needs × experts scored by the ranking service and encoded with the constraints."""
    needs = team_needs(engine, team, need_ids)
    experts = team_experts(engine, team, expert_ids)
    if not needs:
        where = " ".join(x for x in (team.city, team.province, team.industry) if x) if team else ""
        raise ValidationError(f"没有待服务的需求（{where or '未指定范围'}）",
                              field="need_ids")
    dropped = excluded_pairs(engine.store, [n.id for n in needs], {e.id for e in experts})
    return encode(needs, experts, service.score_pairs(needs, experts, target="expert"),
                  with_min_confidence(engine, team_constraints(team, constraints)),
                  dropped={(p.need_id, p.candidate_id) for p in dropped})


def with_min_confidence(engine: Engine, constraints: Constraints) -> Constraints:
    """`constraints` whose unset `min_score` is the settings' confidence threshold: a pair the
    service would route to staff is never dispatched (set `min_score=0` to allow it)."""
    if constraints.min_score is not None:
        return constraints
    return constraints.model_copy(update={"min_score": engine.settings.confidence_threshold})


def without_dropped(engine: Engine, needs: Sequence[Need], candidates: Sequence[Record],
                    scores: np.ndarray) -> tuple[np.ndarray, list[ExcludedPair]]:
    """`scores` (len(needs), len(candidates)) with the pairs staff dropped (not relevant /
    never suggest) set to NaN, which every planner treats as "no match"; and those pairs."""
    pairs = excluded_pairs(engine.store, [n.id for n in needs], {c.id for c in candidates})
    out = np.array(scores, dtype=np.float64, copy=True)
    rows = {n.id: i for i, n in enumerate(needs)}
    cols = {c.id: j for j, c in enumerate(candidates)}
    for pair in pairs:
        out[rows[pair.need_id], cols[pair.candidate_id]] = np.nan
    return out, pairs


@dataclass(frozen=True)
class TeamPlan:
    """An assignment with the problem it solved, so pairs not made can be explained."""

    problem: AssignmentProblem
    assignment: Assignment
    excluded: tuple[ExcludedPair, ...] = ()

    def why_not(self, pairs: Iterable[tuple[str, str]]) -> list[WhyNot]:
        """Why each (need id, expert id) pair is not assigned (or 'assigned')."""
        dropped = {(p.need_id, p.candidate_id): p for p in self.excluded}
        needs, experts = set(self.problem.need_ids), set(self.problem.expert_ids)
        out = []
        for k, (n, e) in enumerate(pairs):
            for value, ids, what in ((n, needs, "need"), (e, experts, "expert")):
                if value not in ids:  # name the question, not the planner's need_id argument
                    raise ValidationError(f"{value!r} is no {what} of this plan",
                                          field=f"why_not[{k}].{what}_id")
            answer = why_not(self.problem, self.assignment, n, e)
            if (n, e) in dropped:
                p = dropped[(n, e)]
                answer = answer.model_copy(update={
                    "reason": "dropped", "detail": p.reason,
                    "message": f"staff dropped this pair (docking {p.docking_id}, 对接终止："
                               f"{p.reason_label}); it is never assigned"})
            out.append(answer)
        return out


def plan_team(engine: Engine, service: PairScorer, *, team: ServiceTeam | None = None,
              expert_ids: Sequence[str] = (), need_ids: Sequence[str] = (),
              constraints: Constraints | None = None, objective: str = "total",
              solver: str = "milp", alternates: int = 3) -> TeamPlan:
    """Assign the team's (or the given) experts to its needs (infeasible → diagnostics), keeping
    the problem for why-not questions."""
    problem = team_problem(engine, service, team=team, expert_ids=expert_ids,
                           need_ids=need_ids, constraints=constraints)
    excluded = excluded_pairs(engine.store, problem.need_ids, set(problem.expert_ids))
    return TeamPlan(problem, assign(problem, solver=solver, objective=objective,
                                    alternates=alternates), tuple(excluded))


# -- roadshows -------------------------------------------------------------------------------

def _vectors(engine: Engine, kind: str, records: Sequence[Record]) -> np.ndarray:
    """Unit vectors (len(records), dim) of `records` (see `Engine.record_vectors`)."""
    vecs = engine.record_vectors(kind, records)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.where(norms > 0, norms, 1.0)


def _candidates(engine: Engine, service: PairScorer, needs: Sequence[Need]) -> list[Achievement]:
    """Every achievement, or (large libraries) those retrieved for some local need."""
    if engine.store.count("achievement") <= MAX_ALL_ACHIEVEMENTS:
        return [a for a in engine.store.iter_records("achievement")
                if isinstance(a, Achievement)]
    rankings = service.match_many(needs, target="achievement", k=ROADSHOW_DEPTH, explain=False)
    ids = sorted({h.id for r in rankings for h in r.hits})
    found = engine.store.get_many(ids)
    return [found[i] for i in ids if isinstance(found.get(i), Achievement)]  # type: ignore[misc]


def overseas_supply(achievements: Sequence[Achievement], experts: Sequence[Expert]
                    ) -> tuple[list[Achievement], list[Expert]]:
    """Overseas experts and the achievements they own (works or owners)."""
    abroad = [e for e in experts if e.overseas]
    ids = {e.id for e in abroad}
    owned = {w for e in abroad for w in e.works}
    kept = [a for a in achievements if a.id in owned or ids & set(a.owners)]
    if not kept:
        raise ValidationError("候选成果中没有海外专家的成果",
                              field="overseas")
    return kept, abroad


def _no_needs(engine: Engine, city: str, industry: str | None) -> ValidationError:
    pairs = sorted({(n.city or "?", n.industry or "?") for n in open_needs(engine, city=city)})
    hint = ("；该城市的待服务需求（城市/行业）：" + "、".join(f"{c}/{i}" for c, i in pairs[:10])
            if pairs else "；该城市没有任何待服务的需求")
    what = f"{city}/{industry}" if industry else city
    path = industry_path(industry)
    if path:
        what += f"（{path}）"
    return ValidationError(f"{what} 没有待服务的需求{hint}", field="city")


def booked_experts(engine: Engine, date: dt.date | None) -> dict[str, str]:
    """expert id → the event it presents at or teaches that day (not cancelled); none
    without a date."""
    if date is None:
        return {}
    rows = ProgrammeRepo(engine.store).list_items("event", start=date, end=date)
    out: dict[str, str] = {}
    for event in (Event.model_validate_json(r.data) for r in rows):
        if event.status != "cancelled":
            for p in event.participants:
                if p.role in ("trainer", "presenter") and p.ref:
                    out.setdefault(p.ref, event.id)
    return out


def _match_scores(plan: RoadshowPlan, needs: Sequence[Need],
                  achievements: Sequence[Achievement], scores: np.ndarray) -> RoadshowPlan:
    """`plan` whose invitations carry the pair's match score (needs × achievements `scores`),
    not the score the province bonus raised for choosing, and reasons that cite it."""
    rows = {n.id: i for i, n in enumerate(needs)}
    cols = {a.id: j for j, a in enumerate(achievements)}
    titles = {n.id: n.display_title for n in needs}
    items = []
    for item in plan.items:
        j = cols[item.achievement_id]
        invitees = [v.model_copy(update={"score": float(scores[rows[v.need_id], j])})
                    for v in item.invitees]
        invitees = [v.model_copy(update={"reason": invitee_reason(v, titles)}) for v in invitees]
        items.append(item.model_copy(update={"invitees": invitees}))
    return plan.model_copy(update={"items": items})


def plan_city_roadshow(engine: Engine, service: PairScorer, *, city: str,
                       industry: str | None, slots: int, invites_per_achievement: int = 5,
                       date: dt.date | None = None, prefer_province: bool = False,
                       duplicate_threshold: float = DEFAULT_THRESHOLD,
                       min_score: float | None = None, overseas: bool = False) -> RoadshowPlan:
    """Plan a roadshow for the open needs of `city` (and `industry`) from stored records.

    Scores below `min_score` (default: the settings' confidence threshold, under which the
    service routes a need to staff) count as no match, so nobody is invited on a weak match.
    `prefer_province` adds PREFER_PROVINCE_BONUS to the scores of achievements from the
    city's province (capped at 1), so local supply wins close calls. `overseas` (海外人才中国行)
    keeps only achievements of overseas experts and overseas presenters.
    """
    if min_score is None:
        min_score = engine.settings.confidence_threshold
    needs = open_needs(engine, city=city, industry=industry)
    if not needs:
        raise _no_needs(engine, city, industry)
    achievements = _candidates(engine, service, needs)
    experts = [e for e in engine.store.iter_records("expert") if isinstance(e, Expert)]
    if overseas:
        achievements, experts = overseas_supply(achievements, experts)
    scores, dropped = without_dropped(engine, needs, achievements, service.score_pairs(
        needs, achievements, target="achievement"))
    score_an = scores.T
    if prefer_province:  # the bonus ranks close calls; it never lifts a weak pair over the floor
        provinces = {normalize(n.province) for n in needs if n.province}
        local = np.array([normalize(a.province or "") in provinces for a in achievements])
        with np.errstate(invalid="ignore"):
            weak = ~(score_an >= min_score)
        score_an = np.where(weak, np.nan,
                            np.minimum(score_an + PREFER_PROVINCE_BONUS * local[:, None], 1.0))
    ach_vecs = _vectors(engine, "achievement", achievements)
    expert_vecs = _vectors(engine, "expert", experts)
    booked = booked_experts(engine, date)
    plan = plan_roadshow(achievements, needs, experts, score_an, ach_vecs @ ach_vecs.T,
                         ach_vecs @ expert_vecs.T, slots=slots,
                         invites_per_achievement=invites_per_achievement,
                         duplicate_threshold=duplicate_threshold, min_score=min_score,
                         date=date, booked=booked)
    notes = [*plan.notes, f"匹配分低于 {min_score:g} 的需求与成果视为不匹配"]
    if booked:
        named = "、".join(f"{e}（{ev}）" for e, ev in sorted(booked.items())[:10])
        more = f" 等 {len(booked)} 位" if len(booked) > 10 else ""
        notes.append(f"当天已在其他活动主讲或授课的专家不安排路演：{named}{more}")
    if prefer_province:
        plan = _match_scores(plan, needs, achievements, scores)
        notes.append(f"同省成果选择时匹配分加 {PREFER_PROVINCE_BONUS}（覆盖需求分含此加分；"
                     f"邀请理由中的匹配分不含）")
    if overseas:
        notes.append(f"海外专场：{len(experts)} 位海外专家的成果 {len(achievements)} 项")
    # The needs are already local (normalised match); the planner only records the labels.
    if dropped:
        pairs = "、".join(f"{x.need_id}–{x.candidate_id}" for x in dropped[:10])
        more = f" 等 {len(dropped)} 对" if len(dropped) > 10 else ""
        notes.append(f"{len(dropped)} 对已被工作人员终止的需求与成果不再邀请：{pairs}{more}")
    return plan.model_copy(update={"city": city, "industry": industry, "notes": notes,
                                   "excluded": dropped})
