"""Assignment: brute-force optimum on small instances, invariants, diagnostics and why-not."""

from __future__ import annotations

import json

import numpy as np
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.errors import InfeasibleError, ValidationError
from techmatch.matcher.assignment import (
    Assignment,
    AssignmentProblem,
    Constraints,
    Reason,
    Status,
    assign,
    encode,
    why_not,
)
from techmatch.models.records import Expert, Need

# ---------------------------------------------------------------- helpers


def need(i: int | str, **kw: object) -> Need:
    nid = i if isinstance(i, str) else f"n{i}"
    return Need(id=nid, title=f"need {nid}", enterprise=kw.pop("enterprise", f"ent-{nid}"), **kw)


def expert(j: int | str, **kw: object) -> Expert:
    eid = j if isinstance(j, str) else f"e{j}"
    return Expert(id=eid, name=f"expert {eid}", organization=kw.pop("organization", f"org-{eid}"),
                  **kw)


def brute_force(problem: AssignmentProblem, objective: str = "total") -> float | None:
    """Best total score over every feasible 0/1 assignment (None = infeasible)."""
    n, m = problem.scores.shape
    ok = problem.allowed
    rows, cols = np.nonzero(ok)
    k = len(rows)
    assert k <= 16, "brute force is for tiny instances"
    bits = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(float)
    to_need = np.zeros((k, n))
    to_need[np.arange(k), rows] = 1
    to_expert = np.zeros((k, m))
    to_expert[np.arange(k), cols] = 1
    counts, loads = bits @ to_need, bits @ to_expert
    feasible = ((counts >= problem.need_min) & (counts <= problem.need_max)).all(axis=1)
    feasible &= (loads <= problem.capacity).all(axis=1)
    for quota in problem.quotas:
        feasible &= (counts[:, quota.members] > 0).sum(axis=1) >= quota.minimum
    if not feasible.any():
        return None
    need_scores = bits @ (to_need * problem.scores[rows, cols][:, None])
    totals = need_scores.sum(axis=1)
    if objective == "fairness":
        must = problem.need_min >= 1
        if must.any():
            worst = need_scores[:, must].min(axis=1)
            best_worst = worst[feasible].max()
            feasible &= worst >= best_worst - 1e-6
    return float(totals[feasible].max())


def check_feasible(problem: AssignmentProblem, result: Assignment) -> None:
    """Every hard constraint holds on the returned pairs (independent of the solver)."""
    chosen = np.zeros(problem.scores.shape, dtype=bool)
    for pair in result.pairs:
        chosen[problem.need_index(pair.need_id), problem.expert_index(pair.expert_id)] = True
    assert not (chosen & ~problem.allowed).any(), "a forbidden pair was chosen"
    counts, loads = chosen.sum(axis=1), chosen.sum(axis=0)
    assert (counts >= problem.need_min).all() and (counts <= problem.need_max).all()
    assert (loads <= problem.capacity).all()
    for quota in problem.quotas:
        assert (counts[quota.members] > 0).sum() >= quota.minimum
    for i, n in enumerate(problem.needs):  # record-level conflicts, re-derived from records
        for j in np.flatnonzero(chosen[i]):
            e = problem.experts[j]
            assert e.available and e.organization != n.enterprise
            assert n.enterprise not in e.exclusions


def check_partial(problem: AssignmentProblem, result: Assignment) -> None:
    """A partial plan: covered needs get their min..max experts, the uncovered ones none, and
    every other hard constraint but the quotas holds."""
    left = {u.need_id for u in result.uncovered}
    chosen = np.zeros(problem.scores.shape, dtype=bool)
    for pair in result.pairs:
        assert pair.need_id not in left
        chosen[problem.need_index(pair.need_id), problem.expert_index(pair.expert_id)] = True
    assert not (chosen & ~problem.allowed).any(), "a forbidden pair was chosen"
    counts = chosen.sum(axis=1)
    covered = np.array([n.id not in left for n in problem.needs])
    assert (counts[covered] >= problem.need_min[covered]).all()
    assert (counts <= problem.need_max).all() and (counts[~covered] == 0).all()
    assert (chosen.sum(axis=0) <= problem.capacity).all()


def random_instance(seed: int, n: int, m: int, quotas: bool = True) -> AssignmentProblem:
    rng = np.random.default_rng(seed)
    provinces = ["湖北", "湖南"]
    needs = [need(i, enterprise=f"ent{rng.integers(3)}", city=["武汉", "宜昌"][i % 2],
                  industry=["新能源", "医药"][int(rng.integers(2))],
                  province=provinces[int(rng.integers(2))]) for i in range(n)]
    experts = [expert(j, organization=f"ent{rng.integers(6)}", capacity=int(rng.integers(0, 4)),
                      available=bool(rng.random() > 0.1), province=provinces[int(rng.integers(2))],
                      exclusions=[f"ent{rng.integers(3)}"] if rng.random() < 0.3 else [])
               for j in range(m)]
    scores = np.round(rng.random((n, m)), 2)  # 2 decimals: ties happen on purpose
    low = int(rng.integers(0, 2))
    city_quotas = {"武汉": int(rng.integers(0, 3))} if quotas and rng.random() < 0.4 else {}
    constraints = Constraints(
        min_experts_per_need=low, max_experts_per_need=low + int(rng.integers(0, 3)),
        same_province=bool(rng.random() < 0.3),
        min_score=0.2 if rng.random() < 0.3 else None, city_quotas=city_quotas)
    return encode(needs, experts, scores, constraints)


# ---------------------------------------------------------------- optimum vs brute force


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), m=st.integers(1, 4),
       objective=st.sampled_from(["total", "fairness"]))
def test_matches_brute_force_optimum(seed: int, n: int, m: int, objective: str) -> None:
    problem = random_instance(seed, n, m)
    expected = brute_force(problem, objective)
    result = assign(problem, objective=objective)
    if expected is None:  # the needs that can be covered still get a plan (status partial)
        assert result.status in (Status.partial, Status.infeasible)
        assert result.diagnostics and result.message.startswith("infeasible")
        if result.status == Status.partial:
            check_partial(problem, result)
        else:
            assert result.pairs == [] and result.uncovered == []
    else:
        assert result.status == Status.optimal, result.message
        check_feasible(problem, result)
        assert result.total_score == pytest.approx(expected, abs=1e-4)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), top_k=st.sampled_from([None, 1, 2, 5]))
def test_larger_random_instances_never_violate_constraints(seed: int, top_k: int | None) -> None:
    problem = random_instance(seed, 12, 7)
    result = assign(problem, top_k=top_k)
    if result.status == Status.partial:
        check_partial(problem, result)
    elif result.solved:
        check_feasible(problem, result)
        loads = {x.expert_id: x.load for x in result.experts}
        assert all(loads[e.id] <= c for e, c in zip(problem.experts, problem.capacity,
                                                    strict=True))
    else:
        assert result.status == Status.infeasible and result.diagnostics


def test_fairness_maximises_worst_need_first() -> None:
    # total: n0-e0 + n1-e1 = 1.0 (worst 0.0); fairness: n0-e1 + n1-e0 = 0.95 (worst 0.45)
    scores = np.array([[1.0, 0.45], [0.5, 0.0]])
    problem = encode([need(0), need(1)], [expert(0, capacity=1), expert(1, capacity=1)], scores,
                     Constraints(min_experts_per_need=1, max_experts_per_need=1))
    total = assign(problem)
    fair = assign(problem, objective="fairness")
    assert {(p.need_id, p.expert_id) for p in total.pairs} == {("n0", "e0"), ("n1", "e1")}
    assert total.total_score == pytest.approx(1.0) and total.worst_need_score == 0.0
    assert {(p.need_id, p.expert_id) for p in fair.pairs} == {("n0", "e1"), ("n1", "e0")}
    assert fair.total_score == pytest.approx(0.95)
    assert fair.worst_need_score == pytest.approx(0.45)


def test_ties_go_to_lower_ids_whatever_the_input_order() -> None:
    needs = [need("b"), need("a"), need("c")]
    experts = [expert("y", capacity=1), expert("x", capacity=1)]
    scores = np.full((3, 2), 0.5)
    constraints = Constraints(min_experts_per_need=0, max_experts_per_need=1)
    first = assign(encode(needs, experts, scores, constraints))
    rev = assign(encode(needs[::-1], experts[::-1], scores, constraints))
    pairs = sorted((p.need_id, p.expert_id) for p in first.pairs)
    assert pairs == sorted((p.need_id, p.expert_id) for p in rev.pairs)
    assert [p[0] for p in pairs] == ["a", "b"]  # need c (highest id) is left out


# ---------------------------------------------------------------- encode


def test_encode_reason_codes_and_capacity_overrides() -> None:
    needs = [need(0, enterprise="Acme", province="湖北"), need(1, province="湖北")]
    experts = [expert(0, organization="acme "), expert(1, exclusions=["ACME"]),
               expert(2, available=False), expert(3, province="湖南", capacity=5),
               expert(4, capacity=1)]
    scores = np.array([[0.9, 0.9, 0.9, 0.9, 0.1], [0.9, 0.9, np.nan, 0.9, 0.9]])
    problem = encode(needs, experts, scores, Constraints(
        same_province=True, min_score=0.2, capacity={"e4": 4}, default_capacity=2))
    assert problem.reasons.tolist() == [
        [Reason.same_organization, Reason.excluded, Reason.unavailable, Reason.region,
         Reason.below_threshold],
        [0, 0, Reason.unavailable, Reason.region, 0]]
    assert problem.capacity.tolist() == [2, 2, 2, 2, 4]


def test_same_province_rule_refuses_an_overseas_expert() -> None:
    """只分配同省专家 dispatched an overseas expert (province unknown: 'allowed') to a 苏州
    need; abroad is no province of a need. An expert or need of unknown province stays allowed."""
    needs = [need(0, province="江苏"), need(1)]
    experts = [expert(0, province="江苏"), expert(1, overseas=True), expert(2)]
    problem = encode(needs, experts, np.full((2, 3), 0.9),
                     Constraints(same_province=True, max_experts_per_need=3))
    assert problem.reasons.tolist() == [[0, Reason.region, 0], [0, 0, 0]]
    result = assign(problem)
    assert ("n0", "e1") not in {(p.need_id, p.expert_id) for p in result.pairs}
    answer = why_not(problem, result, "n0", "e1")
    assert answer.reason == "region" and answer.text.startswith("不满足同省规则")
    assert "expert in abroad" in answer.message


def test_encode_rejects_bad_input() -> None:
    with pytest.raises(ValidationError, match="shape"):
        encode([need(0)], [expert(0)], np.zeros((2, 1)))
    with pytest.raises(ValidationError, match="编号 n0 重复"):
        encode([need(0), need(0)], [expert(0)], np.zeros((2, 1)))
    with pytest.raises(pydantic.ValidationError, match="min_experts_per_need"):
        Constraints(min_experts_per_need=3, max_experts_per_need=1)
    # an override naming no need / expert of the plan was ignored: E01 kept its capacity
    for constraints, field in ((Constraints(capacity={"e9": 0}), "constraints.capacity"),
                               (Constraints(per_need={"n9": (0, 0)}), "constraints.per_need")):
        with pytest.raises(ValidationError, match="未知编号 e9|未知编号 n9") as caught:
            encode([need(0)], [expert(0)], np.ones((1, 1)), constraints)
        assert caught.value.field == field
    problem = encode([need(0)], [expert(0)], np.ones((1, 1)))
    with pytest.raises(ValidationError) as solver:
        assign(problem, solver="hungarian")
    assert (solver.value.field, solver.value.message) == (
        "solver", "未知求解器 hungarian（可选：milp）")
    with pytest.raises(ValidationError) as goal:
        assign(problem, objective="happiness")
    assert (goal.value.field, goal.value.message) == (
        "objective",
        "未知优化目标 happiness（可选：total（总匹配分最大）、fairness（先保最差需求））")


# ---------------------------------------------------------------- infeasible → diagnostics


def test_total_demand_over_capacity_names_the_numbers() -> None:
    problem = encode([need(i) for i in range(3)], [expert(j, capacity=2) for j in range(2)],
                     np.ones((3, 2)), Constraints(min_experts_per_need=2, max_experts_per_need=2))
    result = assign(problem)
    # a partial plan since the uncovered needs are listed (test_assignment_partial.py)
    assert result.status == Status.partial and len(result.uncovered) == 1
    first = result.diagnostics[0]
    assert (first.constraint, first.required, first.available, first.shortfall) == (
        "total_capacity", 6, 4, 2)
    assert "total demand 6 > total capacity 4" in result.message
    none = encode([need(i) for i in range(3)], [expert(j, capacity=1) for j in range(2)],
                  np.ones((3, 2)), Constraints(min_experts_per_need=3, max_experts_per_need=3))
    with pytest.raises(InfeasibleError) as caught:  # no need can be covered: still an error
        assign(none).raise_for_status()
    assert "total demand 9 > total capacity 2" in caught.value.diagnostics[0]


def test_total_capacity_text_says_how_much_is_usable_by_these_needs() -> None:
    """专家总容量不足：需要 2，可用 1 read as if the team had capacity 1 when its experts have
    4 in all, 3 of them held by an expert who may serve none of these needs."""
    needs = [need(0, enterprise="Acme"), need(1, enterprise="Acme")]
    problem = encode(needs, [expert(0, capacity=1), expert(1, organization="Acme", capacity=3)],
                     np.ones((2, 2)), Constraints(min_experts_per_need=1, max_experts_per_need=1))
    first = assign(problem).diagnostics[0]
    assert (first.constraint, first.available, first.capacity) == ("total_capacity", 1, 4)
    assert first.text == ("专家总容量不足：需要 2，可用 1（专家容量共 4，能用于这些需求的只有 1），"
                          "缺口 1")
    same = encode(needs, [expert(0, capacity=1)], np.ones((2, 1)),
                  Constraints(min_experts_per_need=1, max_experts_per_need=1))
    assert assign(same).diagnostics[0].text == "专家总容量不足：需要 2，可用 1，缺口 1"


def test_dropped_pairs_are_refused_as_dropped_not_unscored() -> None:
    problem = encode([need(0), need(1)], [expert(0), expert(1)], np.full((2, 2), 0.9),
                     Constraints(min_experts_per_need=1, max_experts_per_need=1),
                     dropped={("n0", "e0"), ("n9", "e0")})  # unknown pairs are ignored
    assert problem.reasons.tolist() == [[Reason.dropped, 0], [0, 0]]
    result = assign(problem)
    assert ("n0", "e0") not in {(p.need_id, p.expert_id) for p in result.pairs}
    answer = why_not(problem, result, "n0", "e0")
    assert (answer.reason, answer.score) == ("dropped", 0.9)
    assert next(x for x in result.experts if x.expert_id == "e0").blocked == {"dropped": 1}
    stuck = encode([need(0)], [expert(0)], np.ones((1, 1)), Constraints(),
                   dropped={("n0", "e0")})
    [diag] = [d for d in assign(stuck).diagnostics if d.constraint == "need_experts"]
    assert diag.causes == {"dropped": 1} and diag.text.endswith("对接已被工作人员终止 1 位")


def test_need_without_enough_allowed_experts_says_why() -> None:
    needs = [need(0, enterprise="Acme", province="湖北")]
    experts = [expert(0, organization="Acme"), expert(1, exclusions=["Acme"]),
               expert(2, province="湖南"), expert(3), expert(4)]
    scores = np.array([[0.9, 0.9, 0.9, 0.1, 0.8]])
    problem = encode(needs, experts, scores, Constraints(
        min_experts_per_need=2, max_experts_per_need=2, same_province=True, min_score=0.5))
    result = assign(problem)
    [diag] = [d for d in result.diagnostics if d.constraint == "need_experts"]
    assert diag.subject == "n0" and diag.required == 2 and diag.available == 1
    assert diag.causes == {"below_threshold": 1, "excluded": 1, "region": 1,
                           "same_organization": 1}
    assert "needs at least 2 experts but only 1 allowed" in diag.message
    # staff read why the experts are out, in Chinese (the text said only 需要 2，可用 1)
    assert diag.text == ("需求可用专家不足（n0）：需要 2，可用 1，缺口 1；不可用的专家："
                         "低于最低置信度 1 位，专家声明回避该企业 1 位，不在同一省份 1 位，"
                         "专家任职于需求企业 1 位")


def test_quota_larger_than_servable_needs() -> None:
    needs = [need(0, city="武汉"), need(1, city="武汉"), need(2, city="宜昌")]
    problem = encode(needs, [expert(0, capacity=5)], np.ones((3, 1)), Constraints(
        min_experts_per_need=0, max_experts_per_need=1, city_quotas={"武汉": 3}))
    result = assign(problem)
    [diag] = result.diagnostics
    assert (diag.constraint, diag.required, diag.available) == ("quota", 3, 2)
    assert "city 武汉 quota 3 > 2 servable needs" in diag.message
    assert diag.text == ("城市/行业覆盖下限无法满足（城市 武汉）：需要 3，可用 2"
                         "（本次派单中该城市的需求共 2 条），缺口 1")


def test_quota_of_a_city_without_needs_in_the_plan_says_so() -> None:
    """--quota-city 苏州市=2 over needs of 苏州 read 需要 2，可用 0 as if experts were short;
    only the English message said the plan holds no need of 苏州市 (of 0 needs)."""
    needs = [need(0, city="苏州"), need(1, city="苏州"), need(2, city="苏州")]
    problem = encode(needs, [expert(0, capacity=5)], np.ones((3, 1)), Constraints(
        min_experts_per_need=0, max_experts_per_need=1, city_quotas={"苏州市": 2},
        industry_quotas={"新材料": 0}))
    [diag] = assign(problem).diagnostics
    assert "(of 0 needs in 苏州市)" in diag.message
    assert diag.text == ("城市/行业覆盖下限无法满足（城市 苏州市）：需要 2，可用 0"
                         "（本次派单中该城市的需求共 0 条），缺口 2")


def test_industry_quota_rolls_down_the_taxonomy() -> None:
    """--quota-industry 新一代信息技术产业=1 over a need tagged 新一代信息技术 (served) read
    行业 新一代信息技术产业：需要 1，可用 0 and failed the plan; the team's and roadshow's
    industry roll down the taxonomy, the quota now too (a 集成电路 need counts as well)."""
    needs = [need(0, industry="新一代信息技术"), need(1, industry="集成电路"),
             need(2, industry="新材料")]
    problem = encode(needs, [expert(0, capacity=5)], np.ones((3, 1)), Constraints(
        min_experts_per_need=0, max_experts_per_need=1,
        industry_quotas={"新一代信息技术产业": 2, "新材料": 1}))
    assert [q.members.tolist() for q in problem.quotas] == [[0, 1], [2]]
    result = assign(problem)
    assert result.status == Status.optimal and len(result.pairs) == 3


def test_hidden_conflict_found_by_relaxation() -> None:
    # Counting passes (demand 4 <= usable capacity 5, every need has an expert), but n0 and
    # n1 can only use e0, which has capacity 1: the elastic model must find a shortfall of 1.
    needs = [need(i) for i in range(4)]
    experts = [expert(0, capacity=1), expert(1, capacity=2, exclusions=["ent-n0", "ent-n1"]),
               expert(2, capacity=2, exclusions=["ent-n0", "ent-n1"])]
    problem = encode(needs, experts, np.ones((4, 3)),
                     Constraints(min_experts_per_need=1, max_experts_per_need=1))
    result = assign(problem)
    assert result.status == Status.partial and len(result.uncovered) == 1  # n0 or n1
    assert [d.constraint for d in result.diagnostics] in (["need_min"], ["capacity"])
    assert result.diagnostics[0].shortfall == 1
    assert set(result.diagnostics[0].subjects) <= {"n0", "n1", "e0"}
    subject = next(iter(result.diagnostics[0].subjects))
    assert result.diagnostics[0].text.endswith(f"；涉及 {subject} 缺 1")  # who is short
    # it read 需要 1，可用 0 although n0 has an allowed expert: a relaxation knows the shortfall
    assert result.diagnostics[0].text.startswith(f"{result.diagnostics[0].constraint_label}"
                                                 f"：共缺 1（")
    assert "可用 0" not in result.diagnostics[0].text


# ---------------------------------------------------------------- decode and why-not


@pytest.fixture()
def small() -> tuple[AssignmentProblem, Assignment]:
    needs = [need(0, enterprise="Acme", province="湖北"), need(1, province="湖北"),
             need(2, province="湖北")]
    experts = [expert(0, capacity=1, province="湖北"), expert(1, organization="Acme",
                                                             province="湖北"),
               expert(2, province="湖北"), expert(3, province="湖南"),
               expert(4, available=False), expert(5, province="湖北")]
    scores = np.array([[0.90, 0.99, 0.45, 0.95, 0.99, 0.10],
                       [0.80, 0.20, 0.30, 0.90, 0.90, 0.40],
                       [0.10, 0.20, 0.70, 0.90, 0.90, 0.60]])
    problem = encode(needs, experts, scores, Constraints(
        min_experts_per_need=1, max_experts_per_need=1, same_province=True, min_score=0.15))
    return problem, assign(problem)


def test_decode_pairs_loads_and_alternates(small: tuple[AssignmentProblem, Assignment]) -> None:
    problem, result = small
    assert [(p.need_id, p.expert_id) for p in result.pairs] == [
        ("n0", "e0"), ("n1", "e5"), ("n2", "e2")]
    assert result.total_score == pytest.approx(0.9 + 0.4 + 0.7)
    n1 = next(r for r in result.needs if r.need_id == "n1")
    assert [(a.expert_id, a.score, a.has_capacity) for a in n1.alternates] == [
        ("e0", 0.8, False), ("e2", 0.3, True), ("e1", 0.2, True)]
    loads = {x.expert_id: (x.load, x.needs) for x in result.experts}
    assert loads["e0"] == (1, ["n0"]) and loads["e4"] == (0, [])
    # why an expert serves none (or only some) of the needs, without asking why-not pair by pair
    blocked = {x.expert_id: (x.blocked, x.blocked_text) for x in result.experts}
    assert blocked["e1"] == ({"same_organization": 1}, "专家任职于需求企业 1 条")
    assert blocked["e3"] == ({"region": 3}, "不在同一省份 3 条")
    assert blocked["e4"] == ({"unavailable": 3}, "专家不可服务 3 条")
    assert blocked["e0"] == ({"below_threshold": 1}, "低于最低置信度 1 条")
    assert blocked["e2"] == ({}, "")
    again = Assignment.model_validate_json(result.model_dump_json())
    assert again == result and json.loads(result.model_dump_json())["status"] == "optimal"


def test_why_not_reasons(small: tuple[AssignmentProblem, Assignment]) -> None:
    problem, result = small

    def ask(n: str, e: str) -> tuple[str, str | None]:
        answer = why_not(problem, result, n, e)
        return answer.reason, answer.detail

    assert ask("n0", "e0") == ("assigned", None)
    assert ask("n0", "e1") == ("conflict", "same_organization")
    # staff read which conflict it is (the text said only 利益冲突)
    assert why_not(problem, result, "n0", "e1").text == \
        "利益冲突：专家任职于需求企业（匹配分 0.99）"
    assert ask("n0", "e3") == ("region", "region")
    assert ask("n0", "e4") == ("unavailable", "unavailable")
    assert ask("n0", "e5") == ("below_threshold", "below_threshold")
    low = why_not(problem, result, "n0", "e5")  # staff read the floor it missed, not only 低于
    assert low.floor == problem.constraints.min_score
    assert low.text == (f"低于最低置信度（匹配分 {low.score:.2f}，"
                        f"最低要求 {problem.constraints.min_score:.2f}）")
    full = why_not(problem, result, "n1", "e0")
    assert full.reason == "capacity_full"
    assert [(p.need_id, p.score) for p in full.related] == [("n0", 0.9)]
    assert "taken by n0" in full.message
    # staff read which need holds the slot (the text named the full expert itself: e0（0.90）)
    assert full.text == f"专家容量已满（匹配分 {full.score:.2f}）；占用名额的是 需求 n0（0.90）"
    beaten = why_not(problem, result, "n2", "e5")
    assert beaten.reason == "beaten" and beaten.related[0].expert_id == "e2"
    assert "beaten by e2" in beaten.message
    with pytest.raises(ValidationError, match="未知编号 e9"):
        why_not(problem, result, "n0", "e9")


def test_a_need_left_without_an_expert_carries_why() -> None:
    """min 0: a need no expert may serve (region, floor) or whose experts are full reads why,
    counted per expert; served needs and unsolved plans carry nothing."""
    needs = [need(0, province="山东"), need(1, province="山东"), need(2, province="山东")]
    experts = [expert(0, province="辽宁"), expert(1, province="山东", capacity=1),
               expert(2, province="山东")]
    scores = np.array([[0.99, 0.1, 0.2], [0.5, 0.9, 0.1], [0.5, 0.8, 0.1]])
    problem = encode(needs, experts, scores, Constraints(
        min_experts_per_need=0, max_experts_per_need=1, same_province=True, min_score=0.35))
    result = assign(problem)
    assert [(p.need_id, p.expert_id) for p in result.pairs] == [("n1", "e1")]
    by_need = {r.need_id: r for r in result.needs}
    assert by_need["n0"].unserved == {"below_threshold": 2, "region": 1}
    assert by_need["n0"].unserved_text == "没有可分配的专家：低于最低置信度 2 位，不在同一省份 1 位"
    assert by_need["n2"].unserved == {"below_threshold": 1, "capacity_full": 1, "region": 1}
    assert by_need["n1"].unserved == {} and by_need["n1"].unserved_text == ""
    hard = encode(needs, experts, scores, Constraints(same_province=True, min_score=0.35))
    # partial (n0 has no expert): n0 is listed as uncovered, with the same counts
    partial = assign(hard)
    assert [(u.need_id, u.reason, u.causes) for u in partial.uncovered] == [
        ("n0", "no_eligible_expert", {"below_threshold": 2, "region": 1}),
        ("n2", "capacity_full", {"below_threshold": 1, "capacity_full": 1, "region": 1})]


def test_why_not_exclusion_and_unsolved() -> None:
    problem = encode([need(0, enterprise="Acme"), need(1)],
                     [expert(0, exclusions=["Acme"], capacity=1)], np.ones((2, 1)),
                     Constraints(min_experts_per_need=1, max_experts_per_need=1))
    result = assign(problem)
    assert result.status == Status.partial  # n1 gets e0, n0 is uncovered
    assert why_not(problem, result, "n0", "e0").detail == "excluded"
    assert why_not(problem, result, "n0", "e0").text == \
        "利益冲突：专家声明回避该企业（匹配分 1.00）"
    assert why_not(problem, result, "n1", "e0").reason == "assigned"
    none = encode([need(0, enterprise="Acme")], [expert(0, exclusions=["Acme"]), expert(1)],
                  np.ones((1, 2)), Constraints(min_experts_per_need=2))  # no need coverable
    unsolved = assign(none)
    assert unsolved.status == Status.infeasible
    assert why_not(none, unsolved, "n0", "e1").reason == "not_solved"
    empty = encode([need(0)], [expert(0, capacity=0)], np.ones((1, 1)),
                   Constraints(min_experts_per_need=0, max_experts_per_need=1))
    assert why_not(empty, assign(empty), "n0", "e0").text == \
        "专家容量已满：专家容量为 0（匹配分 1.00）"


# ---------------------------------------------------------------- top-k pruning, public names


def test_top_k_retries_unpruned_and_why_not_says_pruned() -> None:
    # top-1: both needs only see e0 (capacity 1) -> infeasible -> solved again on all pairs.
    scores = np.array([[0.9, 0.5], [0.95, 0.4]])
    problem = encode([need(0), need(1)], [expert(0, capacity=1), expert(1, capacity=1)],
                     scores, Constraints(min_experts_per_need=1, max_experts_per_need=1))
    result = assign(problem, top_k=1)
    assert result.status == Status.optimal
    assert result.total_score == pytest.approx(brute_force(problem))  # 0.5 + 0.95

    scores = np.array([[0.9, 0.5, 0.4], [0.95, 0.0, 0.0]])
    problem = encode([need(0), need(1)], [expert(0, capacity=1), expert(1), expert(2)], scores,
                     Constraints(min_experts_per_need=0, max_experts_per_need=1))
    result = assign(problem, top_k=1)
    assert [(p.need_id, p.expert_id) for p in result.pairs] == [("n1", "e0")]
    assert why_not(problem, result, "n0", "e1").reason == "pruned"
    assert why_not(problem, result, "n0", "e0").reason == "capacity_full"


def test_public_names() -> None:
    import techmatch.matcher.assignment as package

    assert sorted(package.__all__) == sorted(
        ["OBJECTIVES", "SOLVERS", "Alternate", "Assignment", "AssignmentProblem",
         "Constraints", "Diagnostic", "ExpertLoad", "NeedResult", "Pair", "Quota", "Reason",
         "Solution", "Status", "UncoveredNeed", "WhyNot", "assign", "decode", "encode",
         "explain_infeasible", "get_solver", "solve", "why_not"])
    assert all(hasattr(package, name) for name in package.__all__)
    assert list(package.SOLVERS) == ["milp"]
