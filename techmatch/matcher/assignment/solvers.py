"""Solve an `AssignmentProblem` on arrays; solvers are looked up by name in `SOLVERS`.

"milp" is a 0/1 integer program solved by HiGHS through `scipy.optimize.milp`:

    maximise   sum_ij c_ij x_ij                       (objective="total")
    subject to min_i <= sum_j x_ij <= max_i           per need
               sum_i x_ij <= cap_j                    per expert
               y_i <= sum_j x_ij, sum_{i in g} y_i >= N_g   coverage quota g
               x_ij = 0 for forbidden pairs (they get no variable at all)

objective="fairness" is lexicographic: first maximise t with t <= sum_j c_ij x_ij for every
need that must be served (min_i >= 1), then maximise the total with every such need kept at
>= t* - tol. Without quotas and fairness the matrix is a transportation polytope (totally
unimodular): then the LP relaxation is solved instead and its vertex optimum is checked to be
0/1 (the MIP runs only if it is not).

Ties: rows and columns are sorted by id and c_ij gets a perturbation below 1e-6 * max|c|
favouring lower (need, expert) ids, so equal-score alternatives resolve by id order and
the result never depends on input order. The reported objective uses the true scores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, diags, hstack, identity, vstack

from techmatch.errors import ValidationError, coded
from techmatch.matcher.assignment.diagnose import Diagnostic, explain_infeasible, simple_checks
from techmatch.matcher.assignment.diagnose import usable as usable_pairs
from techmatch.matcher.assignment.problem import AssignmentProblem, linear_rows

OBJECTIVES: tuple[str, ...] = ("total", "fairness")
OBJECTIVE_LABELS: dict[str, str] = {"total": "总匹配分最大", "fairness": "先保最差需求"}
_TIE_EPS = 1e-6
_FAIRNESS_TOL = 1e-6


class Status(str, Enum):
    """Outcome of a solve."""

    optimal = "optimal"
    feasible = "feasible"  # a solution, but a limit stopped the proof of optimality
    partial = "partial"  # the constraints cannot all hold: the best plan for the needs that
    # can be covered; the others are listed as uncovered (Assignment.uncovered) with why
    infeasible = "infeasible"
    time_limit = "time_limit"  # limit reached without any solution
    error = "error"


@dataclass(frozen=True)
class Solution:
    """What a solve produced; `chosen` is (n_needs, n_experts) bool."""

    status: Status
    chosen: np.ndarray
    total_score: float
    solver: str
    objective: str
    seconds: float
    message: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class _Output:
    status: Status
    picked: np.ndarray | None  # (k,) bool over the candidate pairs
    message: str


Solver = Callable[[AssignmentProblem, np.ndarray, np.ndarray, str, "float | None"], _Output]


def _status(result: object) -> Status:
    code = getattr(result, "status", 4)
    if code == 0:
        return Status.optimal
    if code == 1:
        return Status.feasible if getattr(result, "x", None) is not None else Status.time_limit
    return Status.infeasible if code == 2 else Status.error


def _run(cost: np.ndarray, rows: list[LinearConstraint], integrality: np.ndarray,
         bounds: Bounds, time_limit: float | None) -> tuple[Status, np.ndarray | None, str]:
    if cost.size == 0:  # nothing to choose: feasible iff every row accepts 0 (HiGHS refuses)
        fits = all((np.asarray(r.lb) <= 0).all() and (np.asarray(r.ub) >= 0).all() for r in rows)
        return (Status.optimal, np.zeros(0), "no variables") if fits else (
            Status.infeasible, None, "no variables and a row needs more than 0")
    options: dict[str, object] = {"mip_rel_gap": 1e-9}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    result = milp(cost, constraints=rows, integrality=integrality, bounds=bounds,
                  options=options)
    return _status(result), result.x, str(result.message)


def _base(problem: AssignmentProblem, rows: np.ndarray,
          cols: np.ndarray) -> tuple[csr_matrix, np.ndarray, np.ndarray]:
    """Need, expert and quota rows over [x | y] with their lower and upper bounds."""
    lin = linear_rows(problem, rows, cols)
    q, g = lin.served.shape[0], lin.quota.shape[0]
    matrix = vstack([lin.per_need, lin.per_expert, lin.served, lin.quota]).tocsr()
    lower = np.concatenate([problem.need_min, np.full(len(problem.capacity), -np.inf),
                            np.full(q, -np.inf), [x.minimum for x in problem.quotas]])
    upper = np.concatenate([problem.need_max, problem.capacity, np.zeros(q),
                            np.full(g, np.inf)])
    return matrix, lower, upper


def _tie_costs(problem: AssignmentProblem, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    n, m = problem.scores.shape
    scores = problem.scores[rows, cols]
    scale = float(np.abs(scores).max()) if len(scores) and np.abs(scores).max() > 0 else 1.0
    prefer = 1.0 - (rows * m + cols + 1) / (n * m + 1)  # lower ids -> larger bonus
    return scores + _TIE_EPS * scale * prefer


def _fairness_rows(problem: AssignmentProblem, rows: np.ndarray, cols: np.ndarray,
                   width: int) -> tuple[csr_matrix, np.ndarray]:
    """(f, width) rows of sum_j c_ij x_ij for needs that must be served, and their ids."""
    must = np.flatnonzero(problem.need_min >= 1)
    k = len(rows)
    per_need = csr_matrix((problem.scores[rows, cols], (rows, np.arange(k))),
                          shape=(problem.scores.shape[0], k))[must]
    return hstack([per_need, csr_matrix((len(must), width - k))]).tocsr(), must


def _max_worst(base: LinearConstraint, score_rows: csr_matrix, integrality: np.ndarray,
               time_limit: float | None) -> tuple[Status, float, str]:
    """Phase 1 of fairness: the largest t with t <= every must-serve need's score."""
    width = score_rows.shape[1]
    padded = LinearConstraint(hstack([base.A, csr_matrix((base.A.shape[0], 1))]).tocsr(),
                              base.lb, base.ub)
    link = LinearConstraint(hstack([-score_rows, np.ones((score_rows.shape[0], 1))]).tocsr(),
                            -np.inf, 0.0)
    cost = np.zeros(width + 1)
    cost[-1] = -1.0
    bounds = Bounds(np.append(np.zeros(width), -np.inf), np.append(np.ones(width), np.inf))
    status, x, message = _run(cost, [padded, link], np.append(integrality, 0), bounds,
                              time_limit)
    return status, (float(x[-1]) if x is not None else float("nan")), message


def solve_milp(problem: AssignmentProblem, rows: np.ndarray, cols: np.ndarray,
               objective: str, time_limit: float | None) -> _Output:
    """The 0/1 program of the module docstring over candidate pairs (rows, cols)."""
    matrix, lower, upper = _base(problem, rows, cols)
    width = matrix.shape[1]
    constraints = [LinearConstraint(matrix, lower, upper)]
    integrality = np.ones(width)
    if objective == "fairness":
        score_rows, must = _fairness_rows(problem, rows, cols, width)
        if len(must):
            status, worst, message = _max_worst(constraints[0], score_rows, integrality,
                                                time_limit)
            if status not in (Status.optimal, Status.feasible):
                return _Output(status, None, message)
            floor = worst - _FAIRNESS_TOL * max(1.0, abs(worst))
            constraints.append(LinearConstraint(score_rows, floor, np.inf))
    cost = -np.concatenate([_tie_costs(problem, rows, cols), np.zeros(width - len(rows))])
    if len(constraints) == 1 and not problem.quotas:
        # Only need and expert rows: a bipartite incidence matrix, totally unimodular, so the
        # LP optimum HiGHS returns (a vertex) is already 0/1; ~10x faster than branch and cut.
        status, x, message = _run(cost, constraints, np.zeros(width), Bounds(0, 1), time_limit)
        if status == Status.infeasible:  # the LP relaxation is infeasible: so is the MIP
            return _Output(status, None, message)
        if x is not None and np.allclose(x, np.round(x), atol=1e-6):
            return _Output(status, x[: len(rows)] > 0.5, message)
    status, x, message = _run(cost, constraints, integrality, Bounds(0, 1), time_limit)
    picked = None if x is None else x[: len(rows)] > 0.5
    return _Output(status, picked, message)


SOLVERS: dict[str, Solver] = {"milp": solve_milp}


def get_solver(name: str) -> Solver:
    """The solver registered as `name`; unknown names raise and list the valid ones."""
    try:
        return SOLVERS[name]
    except KeyError:
        raise ValidationError(f"未知求解器 {name}（可选：{'、'.join(sorted(SOLVERS))}）",
                              field="solver") from None


def candidates(problem: AssignmentProblem, top_k: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that get a variable: usable pairs, limited to each need's top-k by score.

    Real systems prune like this: an expert ranked below the k-th for a need is almost never
    chosen, and 2,000 x 500 = 1M binaries shrink to 2,000 * k. k is raised to a need's max.
    """
    ok = usable_pairs(problem)
    if top_k is None:
        rows, cols = np.nonzero(ok)
        return rows, cols
    keep = np.zeros_like(ok)
    masked = np.where(ok, problem.scores, -np.inf)
    order = np.argsort(-masked, axis=1, kind="stable")  # stable: equal scores -> lower id
    for i, row in enumerate(order):
        k = max(top_k, int(problem.need_max[i]))
        top = row[:k]
        keep[i, top[ok[i, top]]] = True
    rows, cols = np.nonzero(keep)
    return rows, cols


def coverable(problem: AssignmentProblem, time_limit: float | None = None) -> np.ndarray:
    """(n_needs,) bool: the needs that can all get their minimum of experts at once
    (capacities and per-need maxima hold). Lexicographic: first the coverage quotas as far as
    they can be met (their total shortfall least: a quota is staff's stated coverage of a city
    or industry), then the most needs covered, then the total score. Needs of minimum 0 count
    as covered.

    Variables [x pairs (k) | z covered (n) | y served (q quota members) | s shortfall (g)]:
    a need is served for its quotas with one expert, as in the plan itself (`linear_rows`)."""
    n, m = problem.scores.shape
    must = problem.need_min >= 1
    rows, cols = np.nonzero(usable_pairs(problem))
    k = len(rows)
    lin = linear_rows(problem, rows, cols)
    q, g = lin.served.shape[0], lin.quota.shape[0]
    x_need = csr_matrix((np.ones(k), (rows, np.arange(k))), shape=(n, k))
    x_expert = csr_matrix((np.ones(k), (cols, np.arange(k))), shape=(m, k))

    def over(x: csr_matrix, z: csr_matrix | None = None, y: csr_matrix | None = None,
             s: csr_matrix | None = None) -> csr_matrix:
        height = x.shape[0]
        return hstack([x, z if z is not None else csr_matrix((height, n)),
                       y if y is not None else csr_matrix((height, q)),
                       s if s is not None else csr_matrix((height, g))]).tocsr()

    # z_i = 1: need i is covered (gets at least min_i experts); at most max_i either way
    minimum = problem.need_min.astype(float) * must
    minima = np.array([quota.minimum for quota in problem.quotas], dtype=float)
    rows_ = [LinearConstraint(over(x_need, z=diags(-minimum)), np.zeros(n), np.full(n, np.inf)),
             LinearConstraint(over(x_need), np.full(n, -np.inf),
                              problem.need_max.astype(float)),
             LinearConstraint(over(x_expert), np.full(m, -np.inf),
                              problem.capacity.astype(float))]
    if g:  # y_i <= sum_j x_ij, and y_i <= z_i for a need that must be covered (an uncovered
        # need gets no expert in the plan); sum_{i in quota} y_i + s_quota >= its minimum
        held = must[lin.members]
        pick = csr_matrix((-np.ones(int(held.sum())), (np.flatnonzero(held),
                                                       lin.members[held])), shape=(q, n))
        rows_ += [LinearConstraint(over(lin.served[:, :k], y=lin.served[:, k:]),
                                   np.full(q, -np.inf), np.zeros(q)),
                  LinearConstraint(over(csr_matrix((q, k)), z=pick, y=identity(q, format="csr")),
                                   np.full(q, -np.inf), np.zeros(q)),
                  LinearConstraint(over(csr_matrix((g, k)), y=lin.quota[:, k:],
                                        s=identity(g, format="csr")), minima,
                                   np.full(g, np.inf))]
    ties = _tie_costs(problem, rows, cols)
    weight = 1.0 + float(np.abs(ties).sum())  # one more need covered beats any score gain
    shortfall = weight * (n + 1)  # one quota unit met beats any number of needs covered
    cost = np.concatenate([-ties, np.full(n, -weight), np.zeros(q), np.full(g, shortfall)])
    bounds = Bounds(0, np.concatenate([np.ones(k), must.astype(float), np.ones(q), minima]))
    # With minima of 1 and no quotas this is a flow problem (totally unimodular): the LP
    # vertex is 0/1 and ~10x faster than branch and cut; the MIP runs only when it is not.
    width = k + n + q + g
    status, x, _ = _run(cost, rows_, np.zeros(width), bounds, time_limit)
    if x is not None and status == Status.optimal and np.allclose(x, np.round(x), atol=1e-6):
        return ~must | (x[k:k + n] > 0.5)
    status, x, _ = _run(cost, rows_, np.ones(width), bounds, time_limit)
    if x is None or status not in (Status.optimal, Status.feasible):
        return ~must
    return ~must | (x[k:k + n] > 0.5)


def _partial(problem: AssignmentProblem, run: Solver, objective: str,
             time_limit: float | None) -> tuple[_Output, np.ndarray, np.ndarray] | None:
    """The best plan (by `objective`) for the needs `coverable` keeps, the others given no
    expert; None when no need can be covered."""
    covered = coverable(problem, time_limit)
    if not covered[problem.need_min >= 1].any():
        return None
    reduced = replace(problem, need_min=np.where(covered, problem.need_min, 0),
                      need_max=np.where(covered, problem.need_max, 0), quotas=())
    rows, cols = candidates(reduced, None)
    out = run(reduced, rows, cols, objective, time_limit)
    if out.status not in (Status.optimal, Status.feasible):
        return None
    return _Output(Status.partial, out.picked, out.message), rows, cols


def _solution(problem: AssignmentProblem, out: _Output, rows: np.ndarray, cols: np.ndarray,
              meta: tuple[str, str, float], partial: tuple[_Output, np.ndarray, np.ndarray]
              | None = None) -> Solution:
    chosen = np.zeros(problem.scores.shape, dtype=bool)
    if out.picked is not None and out.status in (Status.optimal, Status.feasible):
        chosen[rows[out.picked], cols[out.picked]] = True
    diagnostics: list[Diagnostic] = []
    message = out.message
    if out.status == Status.infeasible:
        diagnostics, message = explain_infeasible(problem)
        if partial is not None:  # the diagnostics stay: they say why the rest is uncovered
            out, rows, cols = partial
            if out.picked is not None:
                chosen[rows[out.picked], cols[out.picked]] = True
    total = float(problem.scores[chosen].sum())
    return Solution(out.status, chosen, total, meta[0], meta[1], time.perf_counter() - meta[2],
                    message, diagnostics)


def solve(problem: AssignmentProblem, *, solver: str = "milp", objective: str = "total",
          top_k: int | None = None, time_limit: float | None = None) -> Solution:
    """Solve `problem`; infeasible problems come back with diagnostics, never an exception,
    and with the best plan for the needs that can be covered (status partial) unless none
    can."""
    if objective not in OBJECTIVES:
        valid = coded(OBJECTIVES, OBJECTIVE_LABELS)
        raise ValidationError(f"未知优化目标 {objective}（可选：{valid}）", field="objective")
    run = get_solver(solver)
    started = time.perf_counter()
    meta = (solver, objective, started)
    found = simple_checks(problem)
    if found:  # proven infeasible by counting: no need to solve the whole problem
        empty = np.zeros(0, dtype=np.int64)
        return _solution(problem, _Output(Status.infeasible, None, ""), empty, empty, meta,
                         _partial(problem, run, objective, time_limit))
    rows, cols = candidates(problem, top_k)
    out = run(problem, rows, cols, objective, time_limit)
    if out.status == Status.infeasible and top_k is not None:
        # Pruning can remove the only way to satisfy capacities; retry on every usable pair.
        rows, cols = candidates(problem, None)
        out = run(problem, rows, cols, objective, time_limit)
    partial = (_partial(problem, run, objective, time_limit)
               if out.status == Status.infeasible else None)
    return _solution(problem, out, rows, cols, meta, partial)
