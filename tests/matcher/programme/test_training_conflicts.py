"""The training planner never proposes a trainer with a conflict of interest with an invited
enterprise (techmatch.matcher.conflicts), and says in the topic's notes who was left out."""

from __future__ import annotations

from collections.abc import Sequence

from techmatch.matcher.programme.training import _experts, conflicted
from techmatch.models.records import Expert, Need
from techmatch.models.results import Hit, Ranking

NEED = Need(id="N1", title="隔膜浆料分散", enterprise="苏州纳锂新材料科技有限公司")
OTHER = Need(id="N2", title="浆料沉降", enterprise="杭州驰越电驱动科技有限公司")
EXPERTS = {e.id: e for e in [
    Expert(id="E1", name="刘", organization="某研究所", works=["A1"]),
    Expert(id="E2", name="钱", organization="蘇州納鋰新材料科技有限公司", works=["A2"]),
    Expert(id="E3", name="蒋", organization="某大学", works=["A3"],
           exclusions=["杭州驰越电驱动科技有限公司"]),
    Expert(id="E4", name="周", organization="某大学", works=["A4"]),
]}
CONFIDENCE = {"E1": 0.9, "E2": 0.8, "E3": 0.7, "E4": 0.2}


class FakeService:
    def score_pairs(self, needs: Sequence[Need], candidates: Sequence[object], *,
                    target: str) -> None:
        raise AssertionError("not used")

    def match_many(self, needs: Sequence[Need], *, target: str, k: int = 10,
                   filters: object = None, explain: bool = True) -> list[Ranking]:
        ids = list(CONFIDENCE) if target == "expert" else ["A1", "A2", "A3", "A4"]
        hits = [Hit(id=i, kind=target, score=1.0, rank=r, title=i,
                    confidence=CONFIDENCE.get(i, 0.5)) for r, i in enumerate(ids, start=1)]
        return [Ranking(kind=target, mode="hybrid", hits=hits) for _ in needs]


def test_conflicted_experts_are_not_trainers_and_the_notes_say_why() -> None:
    barred = conflicted(EXPERTS, [NEED, OTHER])
    assert sorted(barred) == ["E2", "E3"]
    assert "专家任职于需求企业" in barred["E2"] and "苏州纳锂" in barred["E2"]
    assert "专家声明回避该企业" in barred["E3"] and "杭州驰越" in barred["E3"]
    chosen, notes = _experts(FakeService(), [NEED], EXPERTS, k=2, booked=set(),
                             overseas_only=False, work_rank=10, barred=barred)
    assert [e.expert_id for e in chosen] == ["E1", "E4"]
    assert [n.split("（")[0] for n in notes] == ["专家 E2", "专家 E3"]
    assert all("未安排授课" in n and "利益冲突" in n for n in notes)


def test_a_conflicted_expert_who_would_not_have_been_proposed_is_not_noted() -> None:
    barred = {"E4": "与受邀企业“X”存在利益冲突：专家声明回避该企业"}
    chosen, notes = _experts(FakeService(), [NEED], EXPERTS, k=2, booked=set(),
                             overseas_only=False, work_rank=10, barred=barred)
    assert [e.expert_id for e in chosen] == ["E1", "E2"] and notes == []


def test_trainers_need_the_minimum_mean_confidence() -> None:
    chosen, _ = _experts(FakeService(), [NEED], EXPERTS, k=4, booked=set(),
                         overseas_only=False, work_rank=10, barred={}, min_score=0.35)
    assert [e.expert_id for e in chosen] == ["E1", "E2", "E3"]  # E4 at 0.2 is left out
