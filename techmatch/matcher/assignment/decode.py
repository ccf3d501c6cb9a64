"""Decode a solution into an `Assignment` (pairs, per-need, per-expert, alternates) and why-not."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, computed_field

from techmatch.errors import InfeasibleError
from techmatch.matcher.assignment.diagnose import Diagnostic, causes, usable
from techmatch.matcher.assignment.problem import REASON_TEXT, AssignmentProblem, Reason
from techmatch.matcher.assignment.solvers import Solution, Status, solve
from techmatch.models.dockings import REASON_LABELS
from techmatch.models.plan_labels import (
    ASSIGN_STATUS_LABELS,
    CAUSE_LABELS,
    UNCOVERED_LABELS,
    WHY_NOT_LABELS,
)

WhyNotReason = Literal["assigned", "conflict", "unavailable", "region", "unscored",
                       "below_threshold", "capacity_full", "beaten", "pruned", "need_limit",
                       "no_gain", "not_solved", "dropped"]


class Pair(BaseModel):
    """One chosen (need, expert) pair and its score."""

    need_id: str
    expert_id: str
    score: float


class Alternate(BaseModel):
    """A feasible expert not assigned to the need, best first."""

    expert_id: str
    score: float
    has_capacity: bool = Field(description="False: taking it means freeing one of its needs")


class NeedResult(BaseModel):
    need_id: str
    experts: list[Pair]
    total_score: float
    min_experts: int
    max_experts: int
    alternates: list[Alternate] = Field(default_factory=list)
    unserved: dict[str, int] = Field(
        default_factory=dict, description="a need left without an expert in a solved plan: "
                                          "its experts by why none serves it (reason codes as "
                                          "in diagnostics' causes, and capacity_full)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unserved_text(self) -> str:
        """Why the need got no expert, in Chinese ('' when it got one)."""
        if not self.unserved:
            return ""
        return "没有可分配的专家：" + "，".join(f"{CAUSE_LABELS.get(code, code)} {count} 位"
                                         for code, count in self.unserved.items())


UncoveredReason = Literal["no_eligible_expert", "too_few_experts", "capacity_full"]


class UncoveredNeed(BaseModel):
    """A need a partial plan leaves without experts, and why (the diagnostics say more)."""

    need_id: str
    reason: UncoveredReason = Field(description="no_eligible_expert: no expert may serve it; "
                                    "too_few_experts: fewer than its minimum may; "
                                    "capacity_full: the experts it may use are taken by "
                                    "needs the plan covers")
    min_experts: int
    eligible: int = Field(description="experts allowed for it, with capacity")
    causes: dict[str, int] = Field(default_factory=dict, description="its experts by why "
                                   "none serves it (codes as in diagnostics' causes)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reason_label(self) -> str:
        return UNCOVERED_LABELS.get(self.reason, self.reason)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """Why, for staff, in Chinese."""
        text = (f"{self.reason_label}（至少需要 {self.min_experts} 位，可分配的专家 "
                f"{self.eligible} 位）")
        if self.causes:
            text += "；" + "，".join(f"{CAUSE_LABELS.get(code, code)} {count} 位"
                                    for code, count in self.causes.items())
        return text


class ExpertLoad(BaseModel):
    expert_id: str
    load: int
    capacity: int
    needs: list[str]
    blocked: dict[str, int] = Field(
        default_factory=dict, description="needs of the plan the expert may not serve, by "
                                          "reason code (same_organization, excluded, …)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def blocked_text(self) -> str:
        """The needs it may not serve and why, in Chinese ('' when it may serve them all)."""
        return "，".join(f"{CAUSE_LABELS.get(code, code)} {count} 条"
                        for code, count in self.blocked.items())


class Assignment(BaseModel):
    """The result of an assignment run, JSON-serialisable for CLI and HTTP."""

    status: Status
    solver: str
    objective: str
    top_k: int | None = None
    total_score: float
    worst_need_score: float | None = None
    seconds: float
    message: str = ""
    pairs: list[Pair] = Field(default_factory=list)
    needs: list[NeedResult] = Field(default_factory=list)
    experts: list[ExpertLoad] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    uncovered: list[UncoveredNeed] = Field(
        default_factory=list, description="status partial: the needs the plan leaves without "
                                          "experts because the constraints cannot all hold")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return ASSIGN_STATUS_LABELS.get(self.status.value, self.status.value)

    @property
    def solved(self) -> bool:
        """A plan to show: optimal, feasible, or partial (some needs uncovered)."""
        return self.status in (Status.optimal, Status.feasible, Status.partial)

    def raise_for_status(self) -> Assignment:
        """Return self when solved; otherwise raise InfeasibleError carrying the diagnostics."""
        if not self.solved:
            raise InfeasibleError(self.message or str(self.status.value),
                                  [f"{d.text}（{d.message}）" for d in self.diagnostics])
        return self


_DETAILED = ("same_organization", "excluded", "zero_capacity")


class WhyNot(BaseModel):
    """Why a (need, expert) pair is not in the assignment; `related` names who took its place."""

    need_id: str
    expert_id: str
    reason: WhyNotReason
    detail: str | None = None
    score: float | None = None
    floor: float | None = Field(default=None, description="the minimum confidence the pair "
                                                          "missed (reason below_threshold)")
    message: str
    related: list[Pair] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reason_label(self) -> str:
        return WHY_NOT_LABELS.get(self.reason, self.reason)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """The answer for staff, in Chinese (`message` keeps the English detail)."""
        text = self.reason_label
        if self.detail in _DETAILED:  # which conflict; a capacity of 0 is no full capacity
            text += f"：{CAUSE_LABELS[self.detail]}"
        elif self.reason == "dropped" and self.detail in REASON_LABELS:  # why staff dropped it
            text += f"：{REASON_LABELS[self.detail]}"
        if self.score is not None and self.floor is not None:
            text += f"（匹配分 {self.score:.2f}，最低要求 {self.floor:.2f}）"
        elif self.score is not None:
            text += f"（匹配分 {self.score:.2f}）"
        if self.related:  # capacity_full: the needs holding the expert; else the experts
            text += "；占用名额的是 " + "、".join(
                f"需求 {p.need_id}（{p.score:.2f}）" if self.reason == "capacity_full"
                else f"{p.expert_id}（{p.score:.2f}）" for p in self.related)
        return text


def _alternates(problem: AssignmentProblem, chosen: np.ndarray, ok: np.ndarray,
                load: np.ndarray, i: int, limit: int) -> list[Alternate]:
    if limit <= 0:
        return []
    open_ = np.flatnonzero(ok[i] & ~chosen[i])
    order = open_[np.lexsort((open_, -problem.scores[i, open_]))][:limit]
    return [Alternate(expert_id=problem.experts[j].id, score=float(problem.scores[i, j]),
                      has_capacity=bool(load[j] < problem.capacity[j])) for j in order]


def _unserved(problem: AssignmentProblem, i: int, load: np.ndarray) -> dict[str, int]:
    """Need i's experts by why none serves it: a forbidding reason, no capacity, or full."""
    counts = causes(problem, i)
    full = int((problem.allowed[i] & (problem.capacity > 0) & (load >= problem.capacity)).sum())
    if full:
        counts["capacity_full"] = full
    return dict(sorted(counts.items()))


def _blocked(problem: AssignmentProblem) -> list[dict[str, int]]:
    """Per expert: how many of the needs it may not serve, by reason (vectorised per reason)."""
    counts = {r: (problem.reasons == r).sum(axis=0) for r in Reason if r != Reason.allowed}
    return [{r.name: int(c[j]) for r, c in counts.items() if c[j]}
            for j in range(len(problem.experts))]


def decode(problem: AssignmentProblem, solution: Solution, *, alternates: int = 3,
           top_k: int | None = None) -> Assignment:
    """Pairs, per-need lists (with up to `alternates` alternates) and per-expert loads."""
    chosen, scores = solution.chosen, problem.scores
    rows, cols = np.nonzero(chosen)
    pairs = [_pair(problem, int(i), int(j)) for i, j in zip(rows, cols, strict=True)]
    solved = solution.status in (Status.optimal, Status.feasible, Status.partial)
    ok, load = usable(problem), chosen.sum(axis=0)  # once: recomputing per need is O(n^2 m)
    by_need: dict[str, list[Pair]] = {n.id: [] for n in problem.needs}
    for pair in pairs:
        by_need[pair.need_id].append(pair)
    needs = [NeedResult(need_id=n.id, experts=sorted(by_need[n.id], key=lambda p: -p.score),
                        total_score=float(scores[i][chosen[i]].sum()),
                        min_experts=int(problem.need_min[i]), max_experts=int(problem.need_max[i]),
                        alternates=_alternates(problem, chosen, ok, load, i,
                                               alternates if solved else 0),
                        unserved=_unserved(problem, i, load)
                        if solved and not by_need[n.id] and problem.need_max[i] else {})
             for i, n in enumerate(problem.needs)]
    blocked = _blocked(problem)
    experts = [ExpertLoad(expert_id=e.id, load=int(chosen[:, j].sum()),
                          capacity=int(problem.capacity[j]),
                          needs=[problem.needs[i].id for i in np.flatnonzero(chosen[:, j])],
                          blocked=blocked[j])
               for j, e in enumerate(problem.experts)]
    uncovered = _uncovered(problem, chosen, ok, load) if solution.status == Status.partial \
        else []
    left = {u.need_id for u in uncovered}
    must = [r.total_score for r in needs if r.min_experts >= 1 and r.need_id not in left]
    return Assignment(status=solution.status, solver=solution.solver,
                      objective=solution.objective, top_k=top_k,
                      total_score=solution.total_score,
                      worst_need_score=min(must) if must and pairs else None,
                      seconds=solution.seconds, message=solution.message, pairs=pairs,
                      needs=needs, experts=experts, diagnostics=solution.diagnostics,
                      uncovered=uncovered)


def _uncovered(problem: AssignmentProblem, chosen: np.ndarray, ok: np.ndarray,
               load: np.ndarray) -> list[UncoveredNeed]:
    out = []
    for i in np.flatnonzero(chosen.sum(axis=1) < problem.need_min):
        eligible, low = int(ok[i].sum()), int(problem.need_min[i])
        reason: UncoveredReason = ("no_eligible_expert" if eligible == 0 else
                                   "too_few_experts" if eligible < low else "capacity_full")
        out.append(UncoveredNeed(need_id=problem.needs[i].id, reason=reason, min_experts=low,
                                 eligible=eligible, causes=_unserved(problem, int(i), load)))
    return out


def assign(problem: AssignmentProblem, *, solver: str = "milp", objective: str = "total",
           top_k: int | None = None, time_limit: float | None = None,
           alternates: int = 3) -> Assignment:
    """Solve and decode in one call; infeasible problems return diagnostics, not exceptions."""
    solution = solve(problem, solver=solver, objective=objective, top_k=top_k,
                     time_limit=time_limit)
    return decode(problem, solution, alternates=alternates, top_k=top_k)


def _forbidden(problem: AssignmentProblem, i: int, j: int) -> tuple[WhyNotReason, str, str]:
    reason = Reason(int(problem.reasons[i, j]))
    need, expert = problem.needs[i], problem.experts[j]
    details: dict[Reason, tuple[WhyNotReason, str]] = {
        Reason.same_organization: ("conflict", f"expert {expert.id} works for "
                                               f"{expert.organization}, the need's enterprise"),
        Reason.excluded: ("conflict", f"{need.enterprise} is in expert {expert.id}'s "
                                      f"exclusions"),
        Reason.unavailable: ("unavailable", f"expert {expert.id} is not available"),
        Reason.region: ("region", f"need in {need.province}, expert in "
                                  f"{expert.province or ('abroad' if expert.overseas else None)} "
                                  f"(same-province rule)"),
        Reason.unscored: ("unscored", "the ranking service gave no score for this pair"),
        Reason.below_threshold: ("below_threshold", f"confidence {problem.scores[i, j]:.4g} < "
                                                    f"minimum confidence "
                                                    f"{problem.constraints.min_score}"),
        Reason.dropped: ("dropped", "it is never assigned"),
    }
    kind, message = details[reason]
    return kind, reason.name, f"{REASON_TEXT[reason]}: {message}"


def _pairs_of(problem: AssignmentProblem, assignment: Assignment) -> np.ndarray:
    chosen = np.zeros(problem.scores.shape, dtype=bool)
    rows = {n: i for i, n in enumerate(problem.need_ids)}
    cols = {e: j for j, e in enumerate(problem.expert_ids)}
    for pair in assignment.pairs:
        chosen[rows[pair.need_id], cols[pair.expert_id]] = True
    return chosen


def _pair(problem: AssignmentProblem, i: int, j: int) -> Pair:
    return Pair(need_id=problem.needs[i].id, expert_id=problem.experts[j].id,
                score=float(problem.scores[i, j]))


def _unchosen(problem: AssignmentProblem, chosen: np.ndarray, i: int, j: int,
              top_k: int | None) -> tuple[WhyNotReason, str, list[Pair]]:
    score = float(problem.scores[i, j])
    mine = sorted(np.flatnonzero(chosen[i]), key=lambda c: (problem.scores[i, c], -c))
    at_max = len(mine) >= problem.need_max[i]
    takers = sorted(np.flatnonzero(chosen[:, j]), key=lambda r: -problem.scores[r, j])
    if mine and at_max and problem.scores[i, mine[0]] >= score:
        worst = _pair(problem, i, int(mine[0]))
        return "beaten", (f"beaten by {worst.expert_id} (score {worst.score:.4g} >= "
                          f"{score:.4g}); the need takes at most {problem.need_max[i]} "
                          f"experts"), [worst]
    if len(takers) >= problem.capacity[j]:
        related = [_pair(problem, int(r), j) for r in takers]
        names = ", ".join(f"{p.need_id} ({p.score:.4g})" for p in related) or "none"
        return "capacity_full", (f"capacity full: expert {problem.experts[j].id} serves "
                                 f"{problem.capacity[j]} needs at most, taken by {names}"), related
    if problem.need_max[i] == 0 or at_max:
        related = [_pair(problem, i, int(c)) for c in mine]
        return "need_limit", f"the need takes at most {problem.need_max[i]} experts", related
    if top_k is not None:
        ranked = np.flatnonzero(usable(problem)[i] & (problem.scores[i] > score))
        if len(ranked) >= max(top_k, int(problem.need_max[i])):
            return "pruned", (f"not among the need's top {top_k} candidates "
                              f"({len(ranked)} usable experts score higher)"), []
    return "no_gain", f"adding it would not raise the objective (score {score:.4g})", []


def why_not(problem: AssignmentProblem, assignment: Assignment, need_id: str,
            expert_id: str) -> WhyNot:
    """Why `expert_id` is not assigned to `need_id` (or 'assigned' if it is)."""
    i, j = problem.need_index(need_id), problem.expert_index(expert_id)
    score = float(problem.scores[i, j]) if np.isfinite(problem.scores[i, j]) else None

    def answer(reason: WhyNotReason, message: str, detail: str | None = None,
               related: list[Pair] | None = None) -> WhyNot:
        floor = problem.constraints.min_score if reason == "below_threshold" else None
        return WhyNot(need_id=need_id, expert_id=expert_id, reason=reason, detail=detail,
                      score=score, floor=floor, message=message, related=related or [])

    if problem.reasons[i, j] != Reason.allowed:
        kind, detail, message = _forbidden(problem, i, j)
        return answer(kind, message, detail)
    if problem.capacity[j] == 0:
        return answer("capacity_full", f"expert {expert_id} has capacity 0", "zero_capacity")
    if not assignment.solved:
        return answer("not_solved", assignment.message)
    chosen = _pairs_of(problem, assignment)
    if chosen[i, j]:
        return answer("assigned", "the pair is in the assignment")
    kind, message, related = _unchosen(problem, chosen, i, j, assignment.top_k)
    return answer(kind, message, related=related)
