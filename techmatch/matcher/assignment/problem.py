"""Encode needs, experts, scores and constraints into the arrays an assignment solver reads."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.sparse import csr_matrix, hstack, identity

from techmatch.errors import ValidationError
from techmatch.matcher.conflicts import name_key
from techmatch.matcher.taxonomy import headline, industry_matches
from techmatch.models.records import Expert, Need


class Reason(IntEnum):
    """Why a (need, expert) pair is forbidden; the first that applies, in this order."""

    allowed = 0
    same_organization = 1
    excluded = 2
    unavailable = 3
    region = 4
    unscored = 5
    below_threshold = 6
    dropped = 7  # staff ended a docking of the pair (对接终止); checked before unscored


REASON_TEXT: dict[Reason, str] = {
    Reason.same_organization: "conflict: the expert works for the enterprise",
    Reason.excluded: "conflict: the enterprise is in the expert's exclusions",
    Reason.unavailable: "the expert is not available",
    Reason.region: "region rule: the expert is in another province",
    Reason.unscored: "no score for this pair",
    Reason.below_threshold: "below the minimum confidence (低于最低置信度)",
    Reason.dropped: "staff dropped this pair (对接终止)",
}


class Constraints(BaseModel):
    """Options of an assignment; keyword-only by construction (a pydantic model)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_experts_per_need: int = Field(default=1, ge=0)
    max_experts_per_need: int = Field(default=2, ge=0)
    per_need: dict[str, tuple[int, int]] = Field(
        default_factory=dict, description="need id -> (min, max), overrides the defaults")
    capacity: dict[str, int] = Field(
        default_factory=dict, description="expert id -> capacity, overrides the record")
    default_capacity: int | None = Field(
        default=None, ge=0, description="if set, replaces every record's capacity")
    same_province: bool = False
    min_score: float | None = None
    city_quotas: dict[str, int] = Field(
        default_factory=dict, description="city -> at least this many needs served")
    industry_quotas: dict[str, int] = Field(
        default_factory=dict, description="industry -> at least this many needs served")

    @model_validator(mode="after")
    def _check_limits(self) -> Constraints:
        if self.min_experts_per_need > self.max_experts_per_need:
            raise ValueError(f"每个需求的专家数下限（min_experts_per_need = "
                             f"{self.min_experts_per_need}）大于上限（max_experts_per_need = "
                             f"{self.max_experts_per_need}）")
        for need_id, (low, high) in self.per_need.items():
            if not 0 <= low <= high:
                raise ValueError(f"per_need[{need_id!r}]：应满足 0 ≤ 下限 ≤ 上限，"
                                 f"收到 {low}、{high}")
        if any(v < 0 for v in (*self.capacity.values(), *self.city_quotas.values(),
                               *self.industry_quotas.values())):
            raise ValueError("专家容量与城市、行业配额不能为负数")
        return self


@dataclass(frozen=True)
class Quota:
    """At least `minimum` of the needs at `members` (row indices) must be served."""

    facet: str
    value: str
    minimum: int
    members: np.ndarray


@dataclass(frozen=True)
class AssignmentProblem:
    """Arrays of one assignment; rows and columns are sorted by id so ties follow id order.

    scores: (n_needs, n_experts) float; reasons: same shape, int8 `Reason` (0 = allowed);
    need_min, need_max: (n_needs,) int; capacity: (n_experts,) int.
    """

    needs: tuple[Need, ...]
    experts: tuple[Expert, ...]
    scores: np.ndarray
    reasons: np.ndarray
    need_min: np.ndarray
    need_max: np.ndarray
    capacity: np.ndarray
    quotas: tuple[Quota, ...]
    constraints: Constraints

    @property
    def need_ids(self) -> list[str]:
        return [n.id for n in self.needs]

    @property
    def expert_ids(self) -> list[str]:
        return [e.id for e in self.experts]

    @property
    def allowed(self) -> np.ndarray:
        """(n_needs, n_experts) bool: pairs a solver may choose."""
        return self.reasons == Reason.allowed

    def need_index(self, need_id: str) -> int:
        return _index_of(self.need_ids, need_id, "need_id")

    def expert_index(self, expert_id: str) -> int:
        return _index_of(self.expert_ids, expert_id, "expert_id")


def _index_of(ids: list[str], wanted: str, field: str) -> int:
    try:
        return ids.index(wanted)
    except ValueError:
        raise ValidationError(f"未知编号 {wanted}", field=field) from None


def _codes(values: Sequence[str], vocabulary: dict[str, int]) -> np.ndarray:
    """Integer code per value; empty strings get -1 so they never match anything."""
    return np.array([vocabulary.setdefault(v, len(vocabulary)) if v else -1 for v in values])


def _same(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """(len(left), len(right)) bool: equal, non-empty values (vectorised for 1M pairs)."""
    vocabulary: dict[str, int] = {}
    a, b = _codes(left, vocabulary), _codes(right, vocabulary)
    return (a[:, None] == b[None, :]) & (a[:, None] >= 0)


def _excluded(needs: Sequence[Need], experts: Sequence[Expert]) -> np.ndarray:
    rows: dict[str, list[int]] = {}
    for i, need in enumerate(needs):
        if name_key(need.enterprise):
            rows.setdefault(name_key(need.enterprise), []).append(i)
    out = np.zeros((len(needs), len(experts)), dtype=bool)
    for j, expert in enumerate(experts):
        for name in expert.exclusions:
            out[rows.get(name_key(name), []), j] = True
    return out


def _dropped(needs: Sequence[Need], experts: Sequence[Expert],
             pairs: Collection[tuple[str, str]]) -> np.ndarray:
    rows = {n.id: i for i, n in enumerate(needs)}
    cols = {e.id: j for j, e in enumerate(experts)}
    out = np.zeros((len(needs), len(experts)), dtype=bool)
    for need_id, expert_id in pairs:
        if need_id in rows and expert_id in cols:
            out[rows[need_id], cols[expert_id]] = True
    return out


def _reasons(needs: Sequence[Need], experts: Sequence[Expert], scores: np.ndarray,
             constraints: Constraints,
             dropped: Collection[tuple[str, str]] = ()) -> np.ndarray:
    """Reason code per pair; later rules only fill pairs earlier rules left allowed."""
    masks: list[tuple[Reason, np.ndarray]] = [
        (Reason.same_organization, _same([name_key(n.enterprise) for n in needs],
                                         [name_key(e.organization) for e in experts])),
        (Reason.excluded, _excluded(needs, experts)),
        (Reason.unavailable, np.broadcast_to(~np.array([e.available for e in experts]),
                                             scores.shape)),
    ]
    if constraints.same_province:
        # Unknown province on either side is not evidence of a different region: allowed;
        # an overseas expert without a province is abroad, in no province of a need.
        need_p = [name_key(n.province) for n in needs]
        exp_p = [name_key(e.province) or ("\x00overseas" if e.overseas else "")
                 for e in experts]
        both = np.outer([bool(p) for p in need_p], [bool(p) for p in exp_p])
        masks.append((Reason.region, both & ~_same(need_p, exp_p)))
    if dropped:
        masks.append((Reason.dropped, _dropped(needs, experts, dropped)))
    masks.append((Reason.unscored, ~np.isfinite(scores)))
    if constraints.min_score is not None:
        with np.errstate(invalid="ignore"):
            masks.append((Reason.below_threshold, scores < constraints.min_score))
    out = np.zeros(scores.shape, dtype=np.int8)
    for reason, mask in masks:
        out[(out == 0) & mask] = reason
    return out


def _limits(needs: Sequence[Need], constraints: Constraints) -> tuple[np.ndarray, np.ndarray]:
    default = (constraints.min_experts_per_need, constraints.max_experts_per_need)
    pairs = [constraints.per_need.get(n.id, default) for n in needs]
    return (np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.int64))


def _capacity(experts: Sequence[Expert], constraints: Constraints) -> np.ndarray:
    base = [constraints.default_capacity if constraints.default_capacity is not None
            else e.capacity for e in experts]
    return np.array([constraints.capacity.get(e.id, c) for e, c in zip(experts, base, strict=True)],
                    dtype=np.int64)


def _members(needs: Sequence[Need], facet: str, value: str) -> np.ndarray:
    """Rows of the needs a quota counts: the city by name; the industry down the taxonomy, as
    a team's or roadshow's industry picks needs (新一代信息技术产业 ⊃ 新一代信息技术 ⊃ 集成电路)."""
    if facet == "industry":
        rows = [i for i, n in enumerate(needs)
                if industry_matches(n.industry, value, text=headline(n))]
    else:
        rows = [i for i, n in enumerate(needs) if name_key(getattr(n, facet)) == name_key(value)]
    return np.array(rows, dtype=np.int64)


def _quotas(needs: Sequence[Need], constraints: Constraints) -> tuple[Quota, ...]:
    out = []
    for facet, quotas in (("city", constraints.city_quotas),
                          ("industry", constraints.industry_quotas)):
        for value, minimum in sorted(quotas.items()):
            out.append(Quota(facet, value, minimum, _members(needs, facet, value)))
    return tuple(out)


def _check_ids(ids: list[str], field: str) -> None:
    seen: set[str] = set()
    for row, record_id in enumerate(ids):
        if record_id in seen:
            raise ValidationError(f"编号 {record_id} 重复", field=field, row=row)
        seen.add(record_id)


def _check_overrides(needs: Sequence[Need], experts: Sequence[Expert],
                     constraints: Constraints) -> None:
    """A per-need or per-expert override naming no need / expert of the plan would be
    silently ignored (a capacity 0 meant for E001 typed E01): refuse it, naming it."""
    for field, keys, ids in (("constraints.per_need", constraints.per_need, {n.id for n in needs}),
                             ("constraints.capacity", constraints.capacity,
                              {e.id for e in experts})):
        unknown = sorted(set(keys) - ids)
        if unknown:
            raise ValidationError(f"未知编号 {unknown[0]}", field=field)


def encode(needs: Sequence[Need], experts: Sequence[Expert], scores: np.ndarray,
           constraints: Constraints | None = None, *,
           dropped: Collection[tuple[str, str]] = ()) -> AssignmentProblem:
    """Build the arrays of an assignment. `scores` is (len(needs), len(experts)), NaN = unscored;
    `dropped` (need id, expert id) pairs staff ended a docking of are never allowed.

    Inputs are not modified; rows and columns are re-ordered by id.
    """
    constraints = constraints or Constraints()
    matrix = np.asarray(scores, dtype=np.float64)
    if matrix.shape != (len(needs), len(experts)):
        raise ValidationError(f"shape {matrix.shape} != ({len(needs)}, {len(experts)})",
                              field="scores")
    _check_ids([n.id for n in needs], "needs.id")
    _check_ids([e.id for e in experts], "experts.id")
    _check_overrides(needs, experts, constraints)
    rows = sorted(range(len(needs)), key=lambda i: needs[i].id)
    cols = sorted(range(len(experts)), key=lambda j: experts[j].id)
    needs_s = tuple(needs[i] for i in rows)
    experts_s = tuple(experts[j] for j in cols)
    matrix = matrix[np.ix_(rows, cols)] if rows and cols else matrix.copy()
    need_min, need_max = _limits(needs_s, constraints)
    return AssignmentProblem(
        needs=needs_s, experts=experts_s, scores=matrix,
        reasons=_reasons(needs_s, experts_s, matrix, constraints, dropped),
        need_min=need_min, need_max=need_max, capacity=_capacity(experts_s, constraints),
        quotas=_quotas(needs_s, constraints), constraints=constraints)


@dataclass(frozen=True)
class LinearRows:
    """Constraint rows over the variables [x (k chosen-pair flags) | y (q served flags)].

    per_need (n, k+q): sum_j x_ij; per_expert (m, k+q): sum_i x_ij;
    served (q, k+q): y_i - sum_j x_ij (<= 0, so a need counts as served only with an expert);
    quota (g, k+q): sum of y over the quota's needs. `members` (q,) are the rows behind y.
    """

    per_need: csr_matrix
    per_expert: csr_matrix
    served: csr_matrix
    quota: csr_matrix
    members: np.ndarray


def linear_rows(problem: AssignmentProblem, rows: np.ndarray, cols: np.ndarray) -> LinearRows:
    """Rows shared by the solver and the elastic (diagnostic) model; pairs are (rows, cols)."""
    n, m = problem.scores.shape
    k = len(rows)
    parts = [q.members for q in problem.quotas]
    members = np.unique(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, int)
    q = len(members)
    x_need = csr_matrix((np.ones(k), (rows, np.arange(k))), shape=(n, k))
    x_expert = csr_matrix((np.ones(k), (cols, np.arange(k))), shape=(m, k))
    pick = csr_matrix((np.ones(q), (np.arange(q), members)), shape=(q, n))
    position = np.full(n, -1)
    position[members] = np.arange(q)
    g_rows = [r for r, quota in enumerate(problem.quotas) for _ in quota.members]
    g_cols = [int(position[i]) for quota in problem.quotas for i in quota.members]
    quota = csr_matrix((np.ones(len(g_rows)), (g_rows, g_cols)), shape=(len(problem.quotas), q))
    return LinearRows(
        per_need=hstack([x_need, csr_matrix((n, q))]).tocsr(),
        per_expert=hstack([x_expert, csr_matrix((m, q))]).tocsr(),
        served=hstack([-(pick @ x_need), identity(q)]).tocsr(),
        quota=hstack([csr_matrix((len(problem.quotas), k)), quota]).tocsr(),
        members=members)
