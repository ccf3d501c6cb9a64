"""Coverage per city × industry, unmatched needs and topics (pure computation)."""

from __future__ import annotations

import pytest

from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.analytics import compute_coverage
from techmatch.matcher.analytics.topics import need_keywords, rising
from techmatch.models.records import Achievement, Expert, Need


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def _need(rid: str, city: str, industry: str, keywords: list[str],
          status: str = "open") -> Need:
    return Need(id=rid, title=f"{keywords[0]}问题", city=city, industry=industry,
                keywords=keywords, status=status)


NEEDS = [
    _need("N1", "苏州", "新材料", ["勃姆石", "浆料分散"]),
    _need("N2", "苏州", "新材料", ["隔膜涂覆", "浆料分散"]),
    _need("N3", "蘇州", "新材料", ["浆料分散"]),          # traditional 蘇州 = 苏州
    _need("N4", "青岛", "海洋工程", ["防腐涂层"]),
    _need("N5", "青岛", "海洋工程", ["防腐涂层"], status="closed"),
]
ACHIEVEMENTS = [
    Achievement(id="A1", title="勃姆石浆料", city="苏州", industry="新材料"),
    Achievement(id="A2", title="涂层", city="北京", industry="新材料/海洋工程"),
]
EXPERTS = [Expert(id="E1", name="王", title="教授", city="青岛", industries=["海洋工程"])]


def test_cells_count_open_matched_unmatched_and_supply(tokenizer: Tokenizer) -> None:
    best = {"N1": 0.9, "N2": 0.2, "N4": 0.5}  # N3 not computed; N5 closed
    cells, unmatched, top, _, totals = compute_coverage(
        NEEDS, ACHIEVEMENTS, EXPERTS, best, tokenizer, threshold=0.4)
    by = {(c.city, c.industry): c for c in cells}
    suzhou = by[("苏州", "新材料")]
    assert (suzhou.open_needs, suzhou.suggested, suzhou.unmatched, suzhou.not_computed) == \
        (3, 1, 2, 1)
    assert (suzhou.achievements_local, suzhou.achievements_industry) == (1, 2)
    qingdao = by[("青岛", "海洋工程")]
    assert (qingdao.open_needs, qingdao.suggested, qingdao.experts_local) == (1, 1, 1)
    assert qingdao.achievements_industry == 1  # A2 lists 新材料/海洋工程
    assert [u.id for u in unmatched] == ["N2", "N3"]
    assert unmatched[1].best_confidence is None
    assert totals == {"open_needs": 4, "suggested": 2, "confirmed": 0, "signed": 0,
                      "unmatched": 2, "not_computed": 1}
    assert top["浆料分散"] == 2 and "勃姆石" not in top
    assert cells[0] is suzhou  # most unmatched first


def test_need_keywords_are_a_set_without_numbers(tokenizer: Tokenizer) -> None:
    need = Need(id="N9", title="RV减速器噪声72 dB", keywords=["RV减速器", "噪声", "噪声"])
    words = need_keywords(need, tokenizer)
    assert {"rv减速器", "噪声"} <= words
    assert not any(w.isdigit() for w in words)


def test_rising_topics_compare_with_the_previous_run() -> None:
    grown = rising({"氢能": 5, "储能": 2, "涂层": 1}, {"氢能": 2, "储能": 2})
    assert [(t.keyword, t.delta) for t in grown] == [("氢能", 3), ("涂层", 1)]
    assert rising({"氢能": 5}, None) == []


def test_a_word_inside_a_longer_one_counts_once(tokenizer: Tokenizer) -> None:
    need = Need(id="N8", title="Digital twin for line balancing", keywords=["digital twin"])
    words = need_keywords(need, tokenizer)
    assert "digital twin" in words and "digital" not in words and "twin" not in words


def test_coverage_notes_are_chinese_for_every_client() -> None:
    """The stats JSON / Markdown (CLI, API) said 'no finished batch run yet …' in English while
    the console computed its own Chinese notes; both now read one list."""
    from techmatch.matcher.analytics.coverage import coverage_notes

    notes = coverage_notes(None, None, {"not_computed": 3}, threshold=0.35,
                           previous_threshold=0.5)
    assert notes == ["尚无完成的夜间批量匹配：请先运行 techmatch batch",
                     "上升话题需要两次完成的批量匹配",
                     "上升话题对比的是上一次批量匹配在置信度阈值 0.5（而非 0.35）下的快照",
                     "3 条待匹配需求还没有批量匹配结果"]
    assert coverage_notes("r2", "r1", {"not_computed": 0}, threshold=0.35,
                          previous_threshold=0.35) == []
