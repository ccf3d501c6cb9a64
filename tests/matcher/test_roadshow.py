"""Roadshow planning: coverage vs brute force, no near duplicates, invitees, presenting expert."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.errors import ValidationError
from techmatch.matcher.roadshow import RoadshowPlan, plan_roadshow
from techmatch.models.records import Achievement, Expert, Need


def ach(i: int, **kw: object) -> Achievement:
    return Achievement(id=f"a{i}", title=f"achievement {i}", **kw)


def need(i: int, **kw: object) -> Need:
    return Need(id=f"n{i}", title=f"need {i}", enterprise=kw.pop("enterprise", f"ent{i}"), **kw)


def expert(j: int, **kw: object) -> Expert:
    return Expert(id=f"e{j}", name=f"expert {j}", **kw)


def coverage(gain: np.ndarray, chosen: list[int]) -> float:
    return float(gain[chosen].max(axis=0).sum()) if chosen else 0.0


@pytest.fixture()
def world() -> tuple[list[Achievement], list[Need], list[Expert]]:
    achievements = [ach(0, keywords=["锂电池", "正极"]), ach(1, keywords=["锂电池"]),
                    ach(2, keywords=["膜分离"], owners=["e1"]), ach(3)]
    needs = [need(0, keywords=["锂电池", "回收"], city="武汉", enterprise="Acme"),
             need(1, city="武汉", enterprise="Acme"), need(2, city="武汉"),
             need(3, city="宜昌")]
    experts = [expert(0, organization="Acme"), expert(1, organization="Uni"),
               expert(2, organization="Inst"), expert(3, available=False)]
    return achievements, needs, experts


def test_plan_picks_coverage_skips_duplicates_and_explains(world: tuple) -> None:
    achievements, needs, experts = world
    score_an = np.array([[0.9, 0.8, 0.0, 0.9],     # a0
                         [0.95, 0.85, 0.0, 0.0],   # a1: near duplicate of a0, locally better
                         [0.0, 0.1, 0.7, 0.0],     # a2
                         [0.3, 0.3, 0.3, 0.0]])    # a3
    sim = np.eye(4)
    sim[0, 1] = sim[1, 0] = 0.95
    expert_for_ach = np.array([[0.9, 0.5, 0.4, 0.99], [0.9, 0.5, 0.6, 0.99],
                               [0.1, 0.2, 0.9, 0.99], [0.1, 0.2, 0.3, 0.99]])
    plan = plan_roadshow(achievements, needs, experts, score_an, sim, expert_for_ach, slots=2,
                         invites_per_achievement=2, city="武汉", date=dt.date(2025, 5, 1))
    assert [i.achievement_id for i in plan.items] == ["a1", "a2"]
    assert [(s.achievement_id, s.duplicate_of) for s in plan.skipped_duplicates] == [("a0", "a1")]
    assert plan.items[0].covered_demand == pytest.approx(1.8)
    assert plan.items[1].covered_demand == pytest.approx(0.7)
    assert plan.total_covered_demand == pytest.approx(2.5)
    first = plan.items[0]
    # n0 and n1 belong to the same enterprise: one invitation, the other need attached
    assert [(v.need_id, v.other_need_ids) for v in first.invitees] == [("n0", ["n1"])]
    assert first.invitees[0].shared_keywords == ["锂电池"]
    assert "；共同关键词：锂电池" in first.invitees[0].reason
    # e0 works for the invited enterprise, e3 is unavailable: e2 comments
    assert first.expert is not None and (first.expert.expert_id, first.expert.role) == (
        "e2", "commentator")
    second = plan.items[1]
    assert second.expert is not None and (second.expert.expert_id, second.expert.role) == (
        "e1", "owner")  # the owner wins over e2's higher score
    assert RoadshowPlan.model_validate_json(plan.model_dump_json()) == plan


def test_stops_when_nothing_adds_demand_and_filters_industry(world: tuple) -> None:
    achievements, needs, experts = world
    needs = [n.model_copy(update={"industry": "新能源" if i < 2 else "医药"})
             for i, n in enumerate(needs)]
    score_an = np.zeros((4, 4))
    score_an[2, 0] = 0.6
    score_an[3, 2] = 0.9  # only a 医药 need: filtered out
    plan = plan_roadshow(achievements, needs, experts, score_an, np.eye(4), np.zeros((4, 4)),
                         slots=3, invites_per_achievement=5, industry="新能源")
    assert [i.achievement_id for i in plan.items] == ["a2"]
    assert [v.need_id for v in plan.items[0].invitees] == ["n0"]
    assert plan.notes[-1].startswith("3 个路演名额只排了 1 个")
    # nothing at all: the note said 其余成果…与已选成果近似重复 with no achievement chosen
    empty = plan_roadshow(achievements, needs, experts, np.zeros((4, 4)), np.eye(4),
                          np.zeros((4, 4)), slots=2, invites_per_achievement=5)
    assert empty.items == [] and empty.notes[-1] == (
        "2 个路演名额一个也没排：没有成果与本地需求有效匹配（匹配分低于下限，"
        "或是需求企业自有成果）")


def test_an_enterprise_is_never_invited_to_its_own_result(world: tuple) -> None:
    achievements, needs, experts = world
    achievements[1] = achievements[1].model_copy(update={"institution": " acme "})  # n0, n1
    score_an = np.zeros((4, 4))
    score_an[1, :2] = 0.95  # a1 answers its owner's two needs best
    score_an[0, :3] = [0.6, 0.5, 0.4]
    plan = plan_roadshow(achievements, needs, experts, score_an, np.eye(4), np.zeros((4, 4)),
                         slots=2, invites_per_achievement=3, city="武汉")
    assert [i.achievement_id for i in plan.items] == ["a0"]  # a1 covers nobody else
    assert [v.need_id for v in plan.items[0].invitees] == ["n0", "n2"]
    assert plan.items[0].covered_demand == pytest.approx(1.5)
    # the note names the pairs (staff could not tell which result belongs to whom)
    assert ("2 对成果与需求同属一家单位（需求企业自有成果）：不计入覆盖，不邀请该企业"
            "（a1–n0、a1–n1）") in plan.notes


def test_a_commentator_says_why_the_owner_does_not_present(world: tuple) -> None:
    """a2's owner e1 declared a2's invitee in his exclusions: e2 comments, and the reason
    says so (it read as if a2 had no presenting owner at all)."""
    achievements, needs, experts = world
    experts[1] = experts[1].model_copy(update={"exclusions": ["ENT2"]})
    score_an = np.zeros((4, 4))
    score_an[2, 2] = 0.7
    by_expert = np.array([[0.1, 0.9, 0.5, 0.1]] * 4)
    plan = plan_roadshow(achievements, needs, experts, score_an, np.eye(4), by_expert,
                         slots=1, invites_per_achievement=2, city="武汉")
    [item] = plan.items
    assert item.expert is not None and (item.expert.expert_id, item.expert.role) == (
        "e2", "commentator")
    assert item.expert.owners_out == {"e1": "excluded"}
    assert item.expert.reason.endswith("；成果完成人 e1（声明回避受邀企业）不主讲")
    experts[1] = experts[1].model_copy(update={"exclusions": [], "available": False})
    plan = plan_roadshow(achievements, needs, experts, score_an, np.eye(4), by_expert,
                         slots=1, invites_per_achievement=2, city="武汉")
    assert plan.items[0].expert is not None
    assert plan.items[0].expert.reason.endswith("；成果完成人 e1（不可服务）不主讲")
    assert RoadshowPlan.model_validate_json(plan.model_dump_json()) == plan


def test_min_score_and_validation(world: tuple) -> None:
    achievements, needs, experts = world
    score_an = np.full((4, 4), 0.3)
    plan = plan_roadshow(achievements, needs, experts, score_an, np.eye(4), np.zeros((4, 4)),
                         slots=2, invites_per_achievement=1, min_score=0.5)
    assert plan.items == []
    with pytest.raises(ValidationError, match="sim_aa"):
        plan_roadshow(achievements, needs, experts, score_an, np.eye(3), np.zeros((4, 4)),
                      slots=2, invites_per_achievement=1)
    with pytest.raises(ValidationError, match="slots"):
        plan_roadshow(achievements, needs, experts, score_an, np.eye(4), np.zeros((4, 4)),
                      slots=0, invites_per_achievement=1)


def random_world(seed: int, n_a: int, n_n: int) -> tuple:
    rng = np.random.default_rng(seed)
    achievements = [ach(i) for i in range(n_a)]
    needs = [need(i, enterprise=f"ent{rng.integers(n_n)}") for i in range(n_n)]
    experts = [expert(j, organization=f"ent{rng.integers(n_n)}") for j in range(3)]
    scores = np.round(rng.random((n_a, n_n)) * (rng.random((n_a, n_n)) < 0.5), 2)
    sim = rng.random((n_a, n_a))
    sim = (sim + sim.T) / 2
    np.fill_diagonal(sim, 1.0)
    return achievements, needs, experts, scores, sim, rng.random((n_a, 3))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), slots=st.integers(1, 4), invites=st.integers(0, 3),
       threshold=st.floats(0.3, 1.0))
def test_never_near_duplicates_and_respects_slots(seed: int, slots: int, invites: int,
                                                  threshold: float) -> None:
    achievements, needs, experts, scores, sim, by_expert = random_world(seed, 7, 6)
    plan = plan_roadshow(achievements, needs, experts, scores, sim, by_expert, slots=slots,
                         invites_per_achievement=invites, duplicate_threshold=threshold,
                         min_score=0.1)
    chosen = [int(i.achievement_id[1:]) for i in plan.items]
    assert len(chosen) <= slots and len(set(chosen)) == len(chosen)
    for a, b in itertools.combinations(chosen, 2):
        assert sim[a, b] < threshold
    for item in plan.items:
        assert len(item.invitees) <= invites
        got = [v.score for v in item.invitees]
        assert got == sorted(got, reverse=True) and all(s >= 0.1 for s in got)
        enterprises = [v.enterprise for v in item.invitees]
        assert len(set(enterprises)) == len(enterprises)
        if item.expert is not None:
            taken = {v.enterprise for v in item.invitees}
            org = next(e.organization for e in experts if e.id == item.expert.expert_id)
            assert org not in taken


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), slots=st.integers(1, 3))
def test_greedy_within_one_minus_one_over_e_of_optimum(seed: int, slots: int) -> None:
    achievements, needs, experts, scores, _, by_expert = random_world(seed, 6, 5)
    plan = plan_roadshow(achievements, needs, experts, scores, np.eye(6), by_expert,
                         slots=slots, invites_per_achievement=1)
    best = max(coverage(scores, list(c)) for c in itertools.combinations(range(6), slots))
    got = coverage(scores, [int(i.achievement_id[1:]) for i in plan.items])
    assert plan.total_covered_demand == pytest.approx(got)
    assert got >= (1 - 1 / math.e) * best - 1e-9


def test_a_booked_owner_does_not_present_and_the_reason_says_why() -> None:
    """An owner presenting or teaching elsewhere that day gives way to a commentator, and the
    commentator's reason names the owner as booked (当天已在其他活动主讲或授课)."""
    from techmatch.matcher.roadshow import expert_reason

    achievements = [Achievement(id="A1", title="电池回收", owners=["E1"])]
    needs = [Need(id="N1", title="电池", enterprise="甲")]
    experts = [Expert(id="E1", name="张"), Expert(id="E2", name="李")]
    args = (achievements, needs, experts, [[0.9]], [[1.0]], [[0.9, 0.5]])
    [owner] = plan_roadshow(*args, slots=1, invites_per_achievement=1).items
    assert owner.expert is not None and owner.expert.role == "owner"
    [item] = plan_roadshow(*args, slots=1, invites_per_achievement=1, booked={"E1"}).items
    assert item.expert is not None and item.expert.expert_id == "E2"
    assert item.expert.owners_out == {"E1": "booked"}
    assert "成果完成人 E1（当天已在其他活动主讲或授课）不主讲" in expert_reason(item.expert)
