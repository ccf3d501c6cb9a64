"""Plan a roadshow: pick achievements covering the most local demand, invitees and an expert.

Choosing achievements is weighted max coverage in its graded (facility-location) form:

    f(S) = sum over needs n of max_{a in S} g(a, n),   g = score if score >= min_score else 0

f is monotone submodular, so greedily adding the achievement with the largest marginal gain
gives f(S_greedy) >= (1 - 1/e) * f(S_opt) under the slot limit alone (Nemhauser, Wolsey &
Fisher 1978); with 0/1 scores it is exactly classic max coverage. The near-duplicate rule
(never two achievements with similarity >= duplicate_threshold) is an independent-set
constraint on the similarity graph, for which greedy keeps no constant-factor guarantee in
general: with duplicates present the bound above is a heuristic target, not a promise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, computed_field

from techmatch.errors import ValidationError
from techmatch.matcher.conflicts import name_key
from techmatch.matcher.taxonomy import headline, industry_matches
from techmatch.models.dockings import ExcludedPair
from techmatch.models.plan_labels import EXPERT_ROLE_LABELS, OWNER_OUT_LABELS
from techmatch.models.records import Achievement, Expert, Need


class Invitee(BaseModel):
    """An enterprise invited to one achievement's slot, for its best-matching need."""

    need_id: str
    enterprise: str | None = None
    score: float
    shared_keywords: list[str] = Field(default_factory=list)
    other_need_ids: list[str] = Field(default_factory=list,
                                      description="more needs of the same enterprise")
    reason: str


OwnerOut = Literal["unavailable", "same_organization", "excluded", "booked"]


class PresentingExpert(BaseModel):
    expert_id: str
    name: str = ""
    role: Literal["owner", "commentator"]
    score: float | None = None
    reason: str
    owners_out: dict[str, OwnerOut] = Field(
        default_factory=dict, description="a commentator's achievement: owner expert id → why "
                                          "it does not present (not available, works for or "
                                          "excludes an invited enterprise, booked that day)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def role_label(self) -> str:
        return EXPERT_ROLE_LABELS[self.role]


class RoadshowItem(BaseModel):
    rank: int
    achievement_id: str
    title: str
    covered_demand: float = Field(description="marginal coverage gain when it was chosen")
    covered_needs: list[str] = Field(description="needs it serves best among the chosen")
    invitees: list[Invitee]
    expert: PresentingExpert | None = None


class SkippedDuplicate(BaseModel):
    achievement_id: str
    duplicate_of: str
    similarity: float


class RoadshowPlan(BaseModel):
    """A roadshow in one city / industry, JSON-serialisable for CLI and HTTP."""

    city: str | None = None
    industry: str | None = None
    date: dt.date | None = None
    slots: int
    invites_per_achievement: int
    items: list[RoadshowItem]
    total_covered_demand: float
    skipped_duplicates: list[SkippedDuplicate] = Field(default_factory=list)
    excluded: list[ExcludedPair] = Field(
        default_factory=list, description="pairs staff dropped (对接终止): never invited")
    notes: list[str] = Field(default_factory=list)


def _check(name: str, matrix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    array = np.asarray(matrix, dtype=np.float64)
    if array.shape != shape:
        raise ValidationError(f"shape {array.shape} != {shape}", field=name)
    return array


def _local(needs: Sequence[Need], city: str | None, industry: str | None) -> list[int]:
    return [i for i, n in enumerate(needs)
            if (city is None or name_key(n.city) == name_key(city))
            and industry_matches(n.industry, industry, text=headline(n))]


def greedy_cover(gain: np.ndarray, sim: np.ndarray, order: np.ndarray, slots: int,
                 threshold: float) -> tuple[list[tuple[int, float, np.ndarray]],
                                            list[tuple[int, int, float]]]:
    """Greedy max coverage; gain (n_ach, n_needs) >= 0, sim (n_ach, n_ach), order = id order.

    Returns (achievement, marginal gain, needs it now serves best) per pick, and
    (blocked, blocker, similarity) for each achievement excluded as a near duplicate.
    """
    best = np.zeros(gain.shape[1])
    blocked = np.zeros(gain.shape[0], dtype=bool)
    picks: list[tuple[int, float, np.ndarray]] = []
    skipped: list[tuple[int, int, float]] = []
    while len(picks) < slots:
        marginal = np.maximum(gain[order] - best, 0.0).sum(axis=1)
        marginal[blocked[order]] = -1.0
        position = int(np.argmax(marginal))  # first maximum = lowest id among ties
        if marginal[position] <= 0:
            break  # nothing left adds demand; an empty slot beats a useless talk
        a = int(order[position])
        improved = np.flatnonzero(gain[a] > best)
        picks.append((a, float(marginal[position]), improved))
        best = np.maximum(best, gain[a])
        blocked[a] = True
        for b in np.flatnonzero((sim[a] >= threshold) & ~blocked):
            blocked[b] = True
            skipped.append((int(b), a, float(sim[a, b])))
    return picks, skipped


def _own_results(achievements: Sequence[Achievement], needs: Sequence[Need]
                 ) -> list[tuple[int, int]]:
    """(achievement, need) index pairs where the need's enterprise owns the achievement
    (techmatch.matcher.conflicts): no enterprise is invited to its own result."""
    by_enterprise: dict[str, list[int]] = {}
    for i, need in enumerate(needs):
        if key := name_key(need.enterprise):
            by_enterprise.setdefault(key, []).append(i)
    return [(a, i) for a, ach in enumerate(achievements)
            for i in by_enterprise.get(name_key(ach.institution), [])]


def _shared(achievement: Achievement, need: Need) -> list[str]:
    mine = {name_key(k) for k in achievement.keywords}
    return [k for k in need.keywords if name_key(k) in mine]


def _invitees(achievement: Achievement, needs: Sequence[Need], row: np.ndarray,
              limit: int) -> list[Invitee]:
    """Best needs first, one invitation per enterprise; ties by need id."""
    ranked = sorted((i for i in range(len(needs)) if row[i] > 0),
                    key=lambda i: (-row[i], needs[i].id))
    out: dict[str, Invitee] = {}
    for i in ranked:
        need = needs[i]
        key = name_key(need.enterprise) or f"need:{need.id}"
        if key in out:
            out[key].other_need_ids.append(need.id)
            continue
        if len(out) >= limit:
            continue
        out[key] = Invitee(need_id=need.id, enterprise=need.enterprise, score=float(row[i]),
                           shared_keywords=_shared(achievement, need), reason="")
    titles = {n.id: n.display_title for n in needs}
    return [v.model_copy(update={"reason": invitee_reason(v, titles)}) for v in out.values()]


def invitee_reason(invitee: Invitee, titles: Mapping[str, str]) -> str:
    """Why the enterprise is invited, in Chinese, from the invitation's fields (so plans saved
    before a wording change read the same)."""
    text = f"与需求“{titles.get(invitee.need_id, invitee.need_id)}”匹配分 {invitee.score:.2f}"
    if invitee.shared_keywords:
        text += f"；共同关键词：{'、'.join(invitee.shared_keywords)}"
    if invitee.other_need_ids:
        text += f"；该企业另有需求 {'、'.join(invitee.other_need_ids)}"
    return text


def expert_reason(expert: PresentingExpert) -> str:
    """Why this expert presents, in Chinese, from the role and score."""
    if expert.role == "owner":
        return "成果完成人，与受邀企业无利益冲突"
    score = f"（匹配分 {expert.score:.2f}）" if expert.score is not None else ""
    text = f"可服务专家中与该成果最相关{score}，与受邀企业无利益冲突"
    if expert.owners_out:
        text += "；成果完成人 " + "、".join(f"{eid}（{OWNER_OUT_LABELS[why]}）" for eid, why
                                       in expert.owners_out.items()) + "不主讲"
    return text


def _out(expert: Expert, invitees: list[Invitee],
         booked: Collection[str] = ()) -> OwnerOut | None:
    """Why the expert cannot present to these invitees, None when it can."""
    if not expert.available:
        return "unavailable"
    if expert.id in booked:
        return "booked"
    enterprises = {name_key(v.enterprise) for v in invitees if v.enterprise}
    if name_key(expert.organization) in enterprises:
        return "same_organization"
    if enterprises & {name_key(x) for x in expert.exclusions}:
        return "excluded"
    return None


def _expert(achievement: Achievement, experts: Sequence[Expert], row: np.ndarray,
            invitees: list[Invitee], used: set[int],
            booked: Collection[str] = ()) -> PresentingExpert | None:
    """An available owner without conflict, else the best unused available expert; experts
    `booked` (presenting or teaching elsewhere that day) present nothing."""
    owners = set(achievement.owners)
    out = {j: _out(e, invitees, booked) for j, e in enumerate(experts)}
    ok = [j for j in range(len(experts)) if out[j] is None]
    mine = [j for j, e in enumerate(experts) if e.id in owners or achievement.id in e.works]
    own = [j for j in mine if out[j] is None]

    def rank(j: int) -> tuple[float, str]:
        return (-row[j] if np.isfinite(row[j]) else np.inf, experts[j].id)

    if own:
        j = min(own, key=rank)
        role: Literal["owner", "commentator"] = "owner"
    else:
        others = [j for j in ok if j not in used and np.isfinite(row[j])]
        if not others:
            return None
        j = min(others, key=rank)
        role = "commentator"
    used.add(j)
    score = float(row[j]) if np.isfinite(row[j]) else None
    owners_out = {experts[i].id: why for i in sorted(mine, key=lambda i: experts[i].id)
                  if (why := out[i]) is not None} if role == "commentator" else {}
    expert = PresentingExpert(expert_id=experts[j].id, name=experts[j].name, role=role,
                              score=score, reason="", owners_out=owners_out)
    return expert.model_copy(update={"reason": expert_reason(expert)})


def plan_roadshow(achievements: Sequence[Achievement], needs: Sequence[Need],
                  experts: Sequence[Expert], score_an: np.ndarray, sim_aa: np.ndarray,
                  expert_for_ach: np.ndarray, *, slots: int, invites_per_achievement: int,
                  duplicate_threshold: float = 0.9, min_score: float = 0.0,
                  city: str | None = None, industry: str | None = None,
                  date: dt.date | None = None, booked: Collection[str] = ()) -> RoadshowPlan:
    """Plan one roadshow.

    score_an (n_ach, n_needs), sim_aa (n_ach, n_ach), expert_for_ach (n_ach, n_experts);
    NaN scores count as no match. `city` / `industry` keep only the needs located there.
    """
    if slots < 1 or invites_per_achievement < 0:
        raise ValidationError("need slots >= 1 and invites_per_achievement >= 0", field="slots")
    n_a = len(achievements)
    scores = _check("score_an", score_an, (n_a, len(needs)))
    sim = _check("sim_aa", sim_aa, (n_a, n_a))
    by_expert = _check("expert_for_ach", expert_for_ach, (n_a, len(experts)))
    cols = _local(needs, city, industry)
    local = [needs[i] for i in cols]
    gain = np.nan_to_num(scores[:, cols], nan=0.0)
    gain = np.where(gain >= min_score, np.maximum(gain, 0.0), 0.0)
    own = _own_results(achievements, local)
    gain[tuple(np.array(own, dtype=np.int64).reshape(-1, 2).T)] = 0.0
    order = np.array(sorted(range(n_a), key=lambda a: achievements[a].id), dtype=np.int64)
    picks, skipped = greedy_cover(gain, np.nan_to_num(sim, nan=0.0), order, slots,
                                  duplicate_threshold)
    used: set[int] = set()
    items = []
    for rank, (a, marginal, improved) in enumerate(picks, start=1):
        invitees = _invitees(achievements[a], local, gain[a], invites_per_achievement)
        items.append(RoadshowItem(
            rank=rank, achievement_id=achievements[a].id, title=achievements[a].display_title,
            covered_demand=marginal, covered_needs=[local[i].id for i in improved],
            invitees=invitees, expert=_expert(achievements[a], experts, by_expert[a], invitees,
                                              used, booked)))
    notes = [f"本地待匹配需求 {len(local)} 条，候选成果 {n_a} 项"]
    if own:
        named = "、".join(f"{achievements[a].id}–{local[i].id}" for a, i in sorted(
            own, key=lambda p: (achievements[p[0]].id, local[p[1]].id))[:10])
        more = f" 等 {len(own)} 对" if len(own) > 10 else ""
        notes.append(f"{len(own)} 对成果与需求同属一家单位（需求企业自有成果）：不计入覆盖，"
                     f"不邀请该企业（{named}{more}）")
    if not items:
        notes.append(f"{slots} 个路演名额一个也没排：没有成果与本地需求有效匹配（匹配分低于下限，"
                     f"或是需求企业自有成果）")
    elif len(items) < slots:
        notes.append(f"{slots} 个路演名额只排了 {len(items)} 个：其余成果要么不再增加覆盖的需求，"
                     f"要么与已选成果近似重复")
    return RoadshowPlan(
        city=city, industry=industry, date=date, slots=slots,
        invites_per_achievement=invites_per_achievement, items=items,
        total_covered_demand=float(sum(p[1] for p in picks)), notes=notes,
        skipped_duplicates=[SkippedDuplicate(achievement_id=achievements[b].id,
                                             duplicate_of=achievements[a].id, similarity=s)
                            for b, a, s in skipped])
