"""MatchService on the in-memory fake engine: flows, confidence, routing, locality, pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import make_engine

from techmatch.config import Settings
from techmatch.errors import NotFoundError, ValidationError
from techmatch.matcher.explain import NOT_CALIBRATED
from techmatch.matcher.service import FILTERED_MESSAGE, ROUTE_MESSAGE, MatchService
from techmatch.models.records import Achievement, Expert, Need
from techmatch.models.results import Filters, Ranking

RECORDS = [
    Need(id="n1", title="锂电池热失控预警",
         description="我公司生产動力電池，需要一種熱失控早期預警技術。",
         city="苏州", province="江苏", industry="新能源", discipline="材料科学与工程"),
    Need(id="n2", title="Wastewater treatment",
         description="Need membrane filtration for textile wastewater.", city="杭州",
         province="浙江", industry="环保"),
    Achievement(id="a1", title="动力电池热失控早期预警方法",
                abstract="本发明提出一种基于气体传感器的锂电池热失控预警方法。可在热失控前报警。",
                discipline="材料科学与工程", industry="新能源", city="苏州", province="江苏",
                maturity=6),
    Achievement(id="a2", title="膜过滤处理印染废水",
                abstract="A membrane filtration process for textile wastewater treatment.",
                industry="环保", maturity=7, language="en"),
    Achievement(id="a3", title="动力电池热失控早期预警方法",
                abstract="本发明提出一种基于气体传感器的锂电池热失控预警方法。可在热失控前报警!",
                discipline="材料科学与工程", city="南京", province="江苏", maturity=6),
    Achievement(id="a4", title="小麦抗旱品种选育", abstract="选育抗旱小麦新品种。",
                discipline="作物学", maturity=8),
    Expert(id="e1", name="张三", title="教授", bio="研究储能安全", works=["a1"],
           city="南京", province="江苏"),
    Expert(id="e2", name="李四", title="研究员", bio="水处理与膜分离", works=["a2"]),
    Expert(id="e3", name="王五", title="研究员", bio="作物育种", works=["a4"], city="苏州"),
]


@pytest.fixture()
def service(tmp_path: Path) -> MatchService:
    return MatchService(make_engine(tmp_path, RECORDS))


def test_need_to_achievements_ranks_the_relevant_one_first(service: MatchService) -> None:
    ranking = service.match_need("n1", target="achievement", k=4)
    assert [h.id for h in ranking.hits][:2] in (["a1", "a3"], ["a3", "a1"])
    assert ranking.hits[0].record is not None and ranking.hits[0].record["id"] == ranking.hits[0].id
    assert ranking.hits[0].title == "动力电池热失控早期预警方法"
    confidences = [h.confidence for h in ranking.hits]
    assert all(c is not None and 0.0 <= c <= 1.0 for c in confidences)
    assert confidences[0] > confidences[-1]
    assert [h.rank for h in ranking.hits] == list(range(1, len(ranking.hits) + 1))
    assert ranking.query_id == "n1" and not ranking.routed_to_staff


def test_near_duplicate_hit_points_at_the_higher_ranked_one(service: MatchService) -> None:
    hits = service.match_need("n1", target="achievement", k=4).hits
    assert hits[1].duplicate_of == hits[0].id
    assert all(h.duplicate_of is None for h in hits[2:])


def test_uncalibrated_confidence_is_said_in_chinese(service: MatchService) -> None:
    """The fake engine's encoder fits neither the shipped ranker nor the shipped abstention
    models, so nothing calibrates the confidences and every hit says so."""
    hits = service.match_need("n1", target="achievement", k=2).hits
    assert all(NOT_CALIBRATED in h.explanation.notes for h in hits if h.explanation)
    assert hits[1].explanation is not None
    assert f"与 {hits[0].id} 近似重复" in hits[1].explanation.notes


def test_contributions_sum_to_score_minus_intercept(service: MatchService) -> None:
    ranking = service.match_need("n2", target="achievement", k=3)
    model = service.model.for_kind("achievement")
    for hit in ranking.hits:
        assert hit.explanation is not None
        total = sum(c.contribution for c in hit.explanation.contributions)
        assert total + model.intercept == pytest.approx(hit.score)


def test_experts_come_from_their_works_with_the_works_explained(service: MatchService) -> None:
    ranking = service.match_need("n1", target="expert", k=3)
    top = ranking.hits[0]
    assert top.id == "e1"  # its profile never mentions batteries: the work a1 does
    assert top.explanation is not None and top.explanation.works[0]["id"] == "a1"
    assert top.explanation.works[0]["score"] == pytest.approx(1.0)


def test_expert_pool_respects_filters(service: MatchService) -> None:
    ranking = service.match_need("n1", target="expert", k=3, filters=Filters(city=["苏州"]))
    assert [h.id for h in ranking.hits] == ["e3"]


def test_achievement_to_needs(service: MatchService) -> None:
    ranking = service.match_achievement("a2", k=2)
    assert ranking.kind == "need" and ranking.hits[0].id == "n2"


def test_low_confidence_routes_to_staff(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, RECORDS, settings=Settings(home=tmp_path,
                                                              confidence_threshold=0.999))
    ranking = MatchService(engine).search("完全无关 quantum chromodynamics", kind="achievement")
    assert ranking.routed_to_staff
    assert ranking.message == ROUTE_MESSAGE == "没有足够好的匹配，请转人工处理"


def test_require_local_filters_and_prefer_local_reorders(service: MatchService) -> None:
    local = service.match_need("n1", target="achievement", k=5, require_local=True)
    assert [h.id for h in local.hits] == ["a1"]
    plain = service.match_need("n1", target="achievement", k=5)
    preferred = service.match_need("n1", target="achievement", k=5, prefer_local=True)
    score = {h.id: h.score for h in plain.hits}
    boosted = {h.id: h.score for h in preferred.hits}
    assert boosted["a1"] - score["a1"] == pytest.approx(0.15)  # same city
    assert boosted["a3"] - score["a3"] == pytest.approx(0.075)  # same province


def test_match_many_equals_one_by_one(service: MatchService) -> None:
    needs = [service.engine.store.get("n1"), service.engine.store.get("n2")]
    many = service.match_many(needs, target="achievement", k=3, explain=False)  # type: ignore[arg-type]
    for need, ranking in zip(needs, many, strict=True):
        single = service.match_need(need.id, target="achievement", k=3, explain=False)
        assert [(h.id, round(h.score, 9)) for h in ranking.hits] == \
            [(h.id, round(h.score, 9)) for h in single.hits]


def test_match_many_without_records_only_drops_them(service: MatchService) -> None:
    needs = [service.engine.store.get("n1"), service.engine.store.get("n2")]
    full = service.match_many(needs, target="achievement", k=3)  # type: ignore[arg-type]
    bare = service.match_many(needs, target="achievement", k=3,  # type: ignore[arg-type]
                              records=False)
    assert all(h.record is None for r in bare for h in r.hits)
    assert all(h.record is not None and h.record["id"] == h.id for r in full for h in r.hits)
    def key(r: Ranking) -> list[tuple[object, ...]]:  # scores agree to rounding run to run
        return [(h.id, h.rank, round(h.score, 9), round(h.confidence or 0.0, 9),
                 h.explanation is not None, r.routed_to_staff) for h in r.hits]

    assert [key(r) for r in bare] == [key(r) for r in full]


def test_score_pairs_agrees_with_rankings(service: MatchService) -> None:
    store = service.engine.store
    needs = [store.get("n1"), store.get("n2")]
    experts = [store.get("e1"), store.get("e2"), store.get("e3")]
    scores = service.score_pairs(needs, experts, target="expert")  # type: ignore[arg-type]
    assert scores.shape == (2, 3)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[0].argmax() == 0 and scores[1].argmax() == 1


def test_bad_requests_raise(service: MatchService) -> None:
    with pytest.raises(ValidationError, match="target"):
        service.match_need("n1", target="need", k=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="k"):
        service.search("电池", kind="achievement", k=0)
    with pytest.raises(NotFoundError):
        service.match_need("a1", target="achievement")


def test_free_text_search_any_kind_with_mode_and_filters(service: MatchService) -> None:
    lexical = service.search("membrane wastewater", kind="achievement", mode="lexical", k=3)
    assert lexical.mode == "lexical" and lexical.hits[0].id == "a2"
    assert lexical.hits[0].dense.rank is None
    needs = service.search("电池 预警", kind="need", filters=Filters(city=["苏州"]))
    assert [h.id for h in needs.hits] == ["n1"]
    assert needs.hits[0].explanation is not None
    assert needs.hits[0].explanation.matched_terms


def test_an_empty_list_the_filters_caused_says_so_not_no_good_match(
        service: MatchService) -> None:
    """A region / industry filter that left no candidate answered 没有足够好的匹配，请转人工处理
    (routed), as if the engine had abstained. It now says 没有符合筛选条件的记录 with its own
    code, and is not routed: staff cannot do better than widen the filters."""
    for ranking in (service.search("锂电池热失控", kind="achievement",
                                   filters=Filters(city=["拉萨"])),
                    service.match_need("n1", target="expert", filters=Filters(industry=["航天"])),
                    service.match_achievement("a1", filters=Filters(province=["西藏"]))):
        assert ranking.hits == []
        assert ranking.message_code == "no_filter_match"
        assert ranking.message == FILTERED_MESSAGE == "没有符合筛选条件的记录，请放宽筛选条件"
        assert not ranking.routed_to_staff


def test_abstention_keeps_its_code_and_wording(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, RECORDS, settings=Settings(home=tmp_path,
                                                              confidence_threshold=0.999))
    service = MatchService(engine)
    filtered = service.search("完全无关 quantum chromodynamics", kind="achievement",
                              filters=Filters(city=["苏州"]))  # candidates left, none good
    assert filtered.hits and filtered.routed_to_staff
    assert (filtered.message_code, filtered.message) == ("no_good_match", ROUTE_MESSAGE)
    confident = MatchService(make_engine(tmp_path / "b", RECORDS)).match_need(
        "n1", target="achievement", k=4)
    assert confident.message_code is None and confident.message is None
