"""服务团派单: a need that cannot be covered no longer sinks the whole plan. The plan is the best
one for the needs that can be covered (status partial) and lists the others with the reason
(stable codes, Chinese text); the infeasibility diagnostics stay."""

from __future__ import annotations

import numpy as np
import pytest
from test_assignment import expert, need

from techmatch.matcher.assignment import Constraints, Status, assign, encode, why_not


def test_a_need_below_the_minimum_confidence_leaves_the_others_assigned() -> None:
    # n1: every expert below 0.35; n0 and n2 can be served (one expert each).
    scores = np.array([[0.9, 0.4], [0.1, 0.2], [0.5, 0.8]])
    problem = encode([need(0), need(1), need(2)], [expert(0, capacity=2), expert(1, capacity=2)],
                     scores, Constraints(min_experts_per_need=1, max_experts_per_need=1,
                                         min_score=0.35))
    result = assign(problem)
    assert result.status == Status.partial and result.solved
    assert result.status_label.startswith("部分方案")
    assert {(p.need_id, p.expert_id) for p in result.pairs} == {("n0", "e0"), ("n2", "e1")}
    assert result.total_score == pytest.approx(0.9 + 0.8)
    [left] = result.uncovered
    assert (left.need_id, left.reason, left.eligible, left.causes) == (
        "n1", "no_eligible_expert", 0, {"below_threshold": 2})
    assert left.reason_label == "没有可分配的专家"
    assert left.text == ("没有可分配的专家（至少需要 1 位，可分配的专家 0 位）；"
                         "低于最低置信度 2 位")
    # the diagnostics that made the plan infeasible are kept
    assert [d.constraint for d in result.diagnostics] == ["need_experts"]
    assert result.diagnostics[0].subject == "n1"
    assert result.raise_for_status() is result  # a plan to show, not an error
    assert why_not(problem, result, "n1", "e0").reason == "below_threshold"
    dumped = result.model_dump(mode="json")
    assert dumped["uncovered"][0]["reason"] == "no_eligible_expert"
    assert dumped["uncovered"][0]["reason_label"] == "没有可分配的专家"


def test_over_quota_covers_the_most_needs_and_names_the_rest() -> None:
    # three needs, one expert of capacity 2 they may all use: the two best are covered.
    scores = np.array([[0.5], [0.9], [0.7]])
    problem = encode([need(0), need(1), need(2)], [expert(0, capacity=2)], scores,
                     Constraints(min_experts_per_need=1, max_experts_per_need=1, min_score=0.0))
    result = assign(problem)
    assert result.status == Status.partial
    assert {(p.need_id, p.expert_id) for p in result.pairs} == {("n1", "e0"), ("n2", "e0")}
    [left] = result.uncovered
    assert (left.need_id, left.reason, left.causes) == ("n0", "capacity_full",
                                                        {"capacity_full": 1})
    assert left.reason_label == "可分配的专家容量已被其他需求占满"
    assert result.diagnostics and result.diagnostics[0].constraint == "total_capacity"
    assert why_not(problem, result, "n0", "e0").reason == "capacity_full"


def test_coverage_comes_before_score_and_too_few_experts_is_named() -> None:
    # n0 needs 2 experts but only e0 may serve it; e0 (capacity 1) is better spent on n1
    # only if that covers more needs: n1 can also use e1, so both n1 and n2 are covered.
    scores = np.array([[0.9, np.nan, np.nan], [0.95, 0.3, np.nan], [np.nan, 0.6, 0.2]])
    problem = encode([need(0), need(1), need(2)],
                     [expert(0, capacity=1), expert(1, capacity=1), expert(2, capacity=1)],
                     scores, Constraints(min_experts_per_need=1, max_experts_per_need=1,
                                         per_need={"n0": (2, 2)}, min_score=0.0))
    result = assign(problem)
    assert result.status == Status.partial
    assert {(p.need_id, p.expert_id) for p in result.pairs} == {("n1", "e0"), ("n2", "e1")}
    [left] = result.uncovered
    assert (left.need_id, left.reason, left.eligible, left.min_experts) == (
        "n0", "too_few_experts", 1, 2)


def test_nothing_coverable_stays_infeasible() -> None:
    problem = encode([need(0)], [expert(0)], np.array([[0.1]]),
                     Constraints(min_score=0.35))
    result = assign(problem)
    assert result.status == Status.infeasible and result.pairs == [] and result.diagnostics
    assert result.uncovered == []


def test_a_partial_plan_of_a_team_sized_problem_needs_no_branch_and_cut(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The coverage step was a 0/1 program solved by branch and cut: 500 needs x 100 experts,
    demand beyond the experts' capacity, took ~10 s (a feasible solve of that size: < 1 s).
    With minima of 1 it is a flow problem: the LP vertex is already 0/1, so no step of the
    plan runs the integer program (its time is measured by the commit, not asserted here)."""
    from techmatch.matcher.assignment import solvers

    integer_runs = []
    run = solvers._run

    def recording(cost, rows, integrality, bounds, limit):  # type: ignore[no-untyped-def]
        integer_runs.append(bool(np.asarray(integrality).any()))
        return run(cost, rows, integrality, bounds, limit)

    monkeypatch.setattr(solvers, "_run", recording)
    rng = np.random.default_rng(0)
    n, m = 500, 100
    scores = rng.random((n, m))
    scores[: n // 50] = 0.1  # 10 needs below the minimum confidence for every expert
    problem = encode([need(i) for i in range(n)],
                     [expert(j, capacity=int(rng.integers(1, 6))) for j in range(m)], scores,
                     Constraints(min_score=0.35, max_experts_per_need=2))
    result = assign(problem, top_k=10)
    assert integer_runs and not any(integer_runs), integer_runs
    assert result.status == Status.partial
    capacity = int(problem.capacity.sum())
    assert len({p.need_id for p in result.pairs}) == min(capacity, n - n // 50)
    assert {u.need_id for u in result.uncovered} >= {f"n{i}" for i in range(n // 50)}


def test_a_partial_plan_keeps_the_city_quota_before_more_scores() -> None:
    """Quotas are staff's stated coverage (at least N needs of a city or industry served).
    When the plan cannot cover every need, the needs it covers honour the quotas as far as
    they can before the scores decide: before, the partial plan set quotas aside and covered
    the two best-scored needs of 武汉, leaving 青岛's quota of 1 at 0."""
    scores = np.array([[0.9], [0.8], [0.1]])
    problem = encode([need(0, city="武汉"), need(1, city="武汉"), need(2, city="青岛")],
                     [expert(0, capacity=2)], scores,
                     Constraints(min_experts_per_need=1, max_experts_per_need=1, min_score=0.0,
                                 city_quotas={"青岛": 1}))
    result = assign(problem)
    assert result.status == Status.partial
    assert {(p.need_id, p.expert_id) for p in result.pairs} == {("n0", "e0"), ("n2", "e0")}
    assert [u.need_id for u in result.uncovered] == ["n1"]


def test_a_quota_that_cannot_be_met_still_covers_the_most_needs() -> None:
    # 青岛's quota of 2 exceeds its one need: that need is covered, and the capacity left
    # goes to the best of the rest, as many needs as the capacity allows.
    scores = np.array([[0.9], [0.8], [0.1], [0.7]])
    problem = encode([need(0, city="武汉"), need(1, city="武汉"), need(2, city="青岛"),
                      need(3, city="武汉")],
                     [expert(0, capacity=3)], scores,
                     Constraints(min_experts_per_need=1, max_experts_per_need=1, min_score=0.0,
                                 city_quotas={"青岛": 2}))
    result = assign(problem)
    assert result.status == Status.partial
    assert {p.need_id for p in result.pairs} == {"n0", "n1", "n2"}
    assert any(d.constraint == "quota" for d in result.diagnostics)


def test_a_quota_need_that_cannot_be_covered_takes_no_capacity_from_the_rest() -> None:
    # n2 (青岛) needs two experts and only e0 may serve it: it cannot be covered, so the
    # quota stays short and e0's capacity goes to both 武汉 needs, not to half of n2.
    scores = np.array([[0.9], [0.8], [0.1]])
    problem = encode([need(0, city="武汉"), need(1, city="武汉"), need(2, city="青岛")],
                     [expert(0, capacity=2)], scores,
                     Constraints(min_experts_per_need=1, max_experts_per_need=1, min_score=0.0,
                                 per_need={"n2": (2, 2)}, city_quotas={"青岛": 1}))
    result = assign(problem)
    assert result.status == Status.partial
    assert {p.need_id for p in result.pairs} == {"n0", "n1"}
    assert [u.need_id for u in result.uncovered] == ["n2"]
