"""Say which constraint makes an assignment infeasible, and by how much.

Cheap counting checks run first (total demand vs capacity, per-need allowed experts, quotas vs
servable needs). When none fires but the solver still finds no solution (e.g. two needs that
both depend on one expert of capacity 1), an elastic model adds a slack to every soft-able
constraint group and minimises the total slack: the groups with positive slack are the ones
that conflict, and the slack is by how much.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from pydantic import BaseModel, Field, computed_field
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack, identity, vstack

from techmatch.matcher.assignment.problem import AssignmentProblem, Reason, linear_rows
from techmatch.models.plan_labels import CAUSE_LABELS, CONSTRAINT_LABELS, QUOTA_FACET_LABELS

_SHOWN = 5  # subjects listed in one message; the full list stays in `subjects`
# what a relaxed group's shortfall means, for staff
_RELAXED = {"need_min": "（这些需求能用的专家被其他需求占满了容量）",
            "capacity": "（要满足每需求最少专家数，这些专家的容量不够）",
            "quota": "（覆盖下限要求的需求数超出能同时服务的数量）"}


class Diagnostic(BaseModel):
    """One violated constraint: what is required, what is available, and why."""

    constraint: str = Field(description="total_capacity | need_experts | quota | "
                                        "need_min | capacity (the last three: from relaxation)")
    subject: str | None = None
    required: float
    available: float
    shortfall: float
    message: str
    causes: dict[str, int] = Field(default_factory=dict)
    subjects: dict[str, float] = Field(default_factory=dict,
                                       description="relaxation: id or group -> slack")
    capacity: float | None = Field(default=None, description="total_capacity: the experts' "
                                   "whole capacity, when more than `available` (the part "
                                   "usable by these needs)")
    group_needs: int | None = Field(default=None, description="quota: the plan's needs of "
                                    "the city / industry (`available` counts the servable)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def constraint_label(self) -> str:
        return CONSTRAINT_LABELS.get(self.constraint, self.constraint)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """The diagnostic for staff, in Chinese (`message` keeps the solver's English): the
        numbers, the experts left out and why (`causes`), the needs / experts / groups short
        (`subjects`)."""
        subject = f"（{subject_label(self.subject)}）" if self.subject else ""
        whole = (f"（专家容量共 {amount(self.capacity)}，能用于这些需求的只有 "
                 f"{amount(self.available)}）" if self.capacity is not None else "")
        if self.group_needs is not None and self.subject:
            facet = QUOTA_FACET_LABELS.get(self.subject.partition(" ")[0], "")
            whole = f"（本次派单中该{facet}的需求共 {self.group_needs} 条）"
        if self.subjects:  # a relaxation: only the shortfall is known (it sets available 0)
            text = (f"{self.constraint_label}：共缺 {amount(self.shortfall)}"
                    f"{_RELAXED.get(self.constraint, '')}")
        else:
            text = (f"{self.constraint_label}{subject}：需要 {amount(self.required)}，可用 "
                    f"{amount(self.available)}{whole}，缺口 {amount(self.shortfall)}")
        if self.causes:
            text += "；不可用的专家：" + "，".join(
                f"{CAUSE_LABELS.get(code, code)} {count} 位" for code, count in self.causes.items())
        if self.subjects:
            shown = list(self.subjects.items())[:_SHOWN]
            more = f" 等 {len(self.subjects)} 项" if len(self.subjects) > _SHOWN else ""
            text += "；涉及 " + "、".join(f"{subject_label(key)} 缺 {amount(value)}"
                                         for key, value in shown) + more
        return text


def subject_label(subject: str) -> str:
    """A diagnostic's subject for staff: a quota's 'city 青岛' reads 城市 青岛."""
    facet, sep, value = subject.partition(" ")
    return f"{QUOTA_FACET_LABELS[facet]} {value}" if sep and facet in QUOTA_FACET_LABELS \
        else subject


def amount(value: float) -> str:
    """A count or capacity as staff read it: no exponent, no trailing zeros."""
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def usable(problem: AssignmentProblem) -> np.ndarray:
    """(n_needs, n_experts) bool: allowed pairs whose expert has any capacity."""
    return problem.allowed & (problem.capacity > 0)[None, :]


def _total(problem: AssignmentProblem, ok: np.ndarray) -> list[Diagnostic]:
    demand = int(problem.need_min.sum())
    # An expert cannot serve more needs than it is allowed to serve, whatever its capacity.
    effective = int(np.minimum(problem.capacity, ok.sum(axis=0)).sum())
    if demand <= effective:
        return []
    raw = int(problem.capacity.sum())
    note = "" if raw == effective else f" (raw capacity {raw}, usable by these needs {effective})"
    return [Diagnostic(constraint="total_capacity", required=demand, available=effective,
                       capacity=None if raw == effective else raw,
                       shortfall=demand - effective,
                       message=f"total demand {demand} > total capacity {effective}{note}")]


def causes(problem: AssignmentProblem, i: int) -> dict[str, int]:
    """Need i's experts not allowed (or of capacity 0), counted by reason code."""
    counts = Counter(Reason(int(r)).name for r in problem.reasons[i] if r != Reason.allowed)
    zero = int((problem.allowed[i] & (problem.capacity == 0)).sum())
    if zero:
        counts["zero_capacity"] = zero
    return dict(sorted(counts.items()))


def _per_need(problem: AssignmentProblem, ok: np.ndarray) -> list[Diagnostic]:
    counts = ok.sum(axis=1)
    out = []
    for i in np.flatnonzero(counts < problem.need_min):
        need_id, wanted, have = problem.needs[i].id, int(problem.need_min[i]), int(counts[i])
        found = causes(problem, int(i))
        why = ", ".join(f"{v} {k}" for k, v in found.items()) or "no experts"
        out.append(Diagnostic(
            constraint="need_experts", subject=need_id, required=wanted, available=have,
            shortfall=wanted - have, causes=found,
            message=f"need {need_id} needs at least {wanted} experts but only {have} "
                    f"allowed ({why})"))
    return out


def _quotas(problem: AssignmentProblem, ok: np.ndarray) -> list[Diagnostic]:
    servable = ok.any(axis=1) & (problem.need_max > 0)
    out = []
    for quota in problem.quotas:
        have = int(servable[quota.members].sum())
        if quota.minimum > have:
            label = f"{quota.facet} {quota.value}"
            out.append(Diagnostic(
                constraint="quota", subject=label, required=quota.minimum, available=have,
                shortfall=quota.minimum - have, group_needs=len(quota.members),
                message=f"{label} quota {quota.minimum} > {have} servable needs "
                        f"(of {len(quota.members)} needs in {quota.value})"))
    return out


def simple_checks(problem: AssignmentProblem) -> list[Diagnostic]:
    """Counting checks that prove infeasibility without solving anything."""
    ok = usable(problem)
    return _total(problem, ok) + _per_need(problem, ok) + _quotas(problem, ok)


def _elastic_model(problem: AssignmentProblem) -> tuple[np.ndarray, LinearConstraint,
                                                        np.ndarray, int]:
    """Variables [x pairs | y served | s_need_min (n) | s_capacity (m) | s_quota (g)]."""
    n, m = problem.scores.shape
    g = len(problem.quotas)
    rows, cols = np.nonzero(usable(problem))
    lin = linear_rows(problem, rows, cols)
    width = lin.per_need.shape[1]

    def slack(block: csr_matrix, at: int, sign: float) -> csr_matrix:
        # The block's rows get one slack column each, placed at offset `at` of the slacks.
        size = block.shape[0]
        eye = sign * identity(size, format="csr")
        return hstack([block, csr_matrix((size, at)), eye,
                       csr_matrix((size, n + m + g - at - size))]).tocsr()

    matrix = vstack([
        slack(lin.per_need, 0, 1.0),                     # min_i <= sum_j x_ij + s_i
        hstack([lin.per_need, csr_matrix((n, n + m + g))]),  # sum_j x_ij <= max_i
        slack(lin.per_expert, n, -1.0),                  # sum_i x_ij - s_j <= cap_j
        hstack([lin.served, csr_matrix((lin.served.shape[0], n + m + g))]),
        slack(lin.quota, n + m, 1.0),                    # sum y + s_g >= quota
    ]).tocsr()
    q = lin.served.shape[0]
    lower = np.concatenate([problem.need_min, np.zeros(n), np.full(m, -np.inf),
                            np.full(q, -np.inf), [x.minimum for x in problem.quotas]])
    upper = np.concatenate([np.full(n, np.inf), problem.need_max, problem.capacity,
                            np.zeros(q), np.full(g, np.inf)])
    cost = np.concatenate([np.zeros(width), np.ones(n + m + g)])
    integrality = np.concatenate([np.ones(width), np.zeros(n + m + g)])
    return cost, LinearConstraint(matrix, lower, upper), integrality, width


def _group(kind: str, values: dict[str, float], noun: str) -> Diagnostic:
    total = float(sum(values.values()))
    shown = ", ".join(f"{key} +{val:g}" for key, val in list(values.items())[:_SHOWN])
    more = f", … {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return Diagnostic(constraint=kind, required=total, available=0.0, shortfall=total,
                      subjects=values,
                      message=f"{noun} short by {total:g} in total ({shown}{more})")


def relax(problem: AssignmentProblem) -> list[Diagnostic]:
    """Minimum total slack that makes the model feasible, reported per constraint group."""
    n, m = problem.scores.shape
    cost, constraints, integrality, start = _elastic_model(problem)
    if cost.size == 0:
        return []
    result = milp(cost, constraints=[constraints], integrality=integrality,
                  bounds=Bounds(0, np.concatenate([np.ones(start), np.full(len(cost) - start,
                                                                           np.inf)])))
    if result.x is None:
        return [Diagnostic(constraint="unknown", required=0, available=0, shortfall=0,
                           message=f"elastic model failed: {result.message}")]
    slack = np.round(result.x[start:], 6)
    groups = [
        ("need_min", {problem.needs[i].id: float(slack[i]) for i in range(n) if slack[i] > 0},
         "experts for needs (per-need minimum)"),
        ("capacity", {problem.experts[j].id: float(slack[n + j]) for j in range(m)
                      if slack[n + j] > 0}, "expert capacity"),
        ("quota", {f"{q.facet} {q.value}": float(slack[n + m + r])
                   for r, q in enumerate(problem.quotas) if slack[n + m + r] > 0},
         "needs served for quotas"),
    ]
    return [_group(kind, values, noun) for kind, values, noun in groups if values]


def explain_infeasible(problem: AssignmentProblem) -> tuple[list[Diagnostic], str]:
    """Diagnostics (simple checks, else relaxation) and a one-line message summarising them."""
    found = simple_checks(problem) or relax(problem)
    if not found:
        return [], "infeasible, but no constraint group needs relaxing (solver limits?)"
    head = "; ".join(d.message for d in found[:_SHOWN])
    more = f"; … {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    return found, f"infeasible: {head}{more}"
