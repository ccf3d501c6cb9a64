"""Coverage per city × industry, unmatched needs and topics (pure computation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.analytics import compute_coverage
from techmatch.matcher.analytics.topics import need_keywords, rising
from techmatch.models.records import Achievement, Expert, Need
from techmatch.store.batch import ResultRow, StoredPair


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


def _pairs(best: dict[str, float]) -> list[StoredPair]:
    """One stored pair per need, with a candidate no record conflicts with."""
    return [StoredPair(need_id, "achievement", f"X{need_id}", conf)
            for need_id, conf in best.items()]


def test_cells_count_open_matched_unmatched_and_supply(tokenizer: Tokenizer) -> None:
    best = {"N1": 0.9, "N2": 0.2, "N4": 0.5}  # N3 not computed; N5 closed
    cells, unmatched, top, _, totals = compute_coverage(
        NEEDS, ACHIEVEMENTS, EXPERTS, _pairs(best), tokenizer, threshold=0.4)
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
    assert [(u.reason, u.reason_label) for u in unmatched] == [("low_confidence", "置信度不足"),
                                                                ("not_computed", "未计算")]
    assert totals == {"open_needs": 4, "suggested": 2, "confirmed": 0, "signed": 0,
                      "unmatched": 2, "not_computed": 1, "conflicted_only": 0}
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


# A need of 蘇州澄光材料 (traditional 蘇 matches the owner's 苏州 after normalisation), its own
# achievement, an expert it employs, one who declared it in `exclusions`, and a stranger's result.
OWN = Need(id="M1", title="隔膜涂覆浆料分散", city="苏州", industry="新材料",
           enterprise="蘇州澄光材料有限公司", keywords=["浆料分散"])
OWN_SUPPLY = [Achievement(id="A7", title="涂覆浆料", city="苏州", industry="新材料",
                          institution="苏州澄光材料有限公司"),
              Achievement(id="A8", title="分散工艺", city="南京", industry="新材料",
                          institution="南京工业大学")]
OWN_EXPERTS = [Expert(id="E7", name="李", organization="苏州澄光材料有限公司"),
               Expert(id="E8", name="赵", organization="东南大学",
                      exclusions=["苏州澄光材料有限公司"])]


def _pair(candidate: str, conf: float) -> StoredPair:
    return StoredPair("M1", "expert" if candidate.startswith("E") else "achievement",
                      candidate, conf)


def test_only_conflicted_confident_pairs_leave_a_need_unmatched(tokenizer: Tokenizer) -> None:
    """Its own enterprise's achievement at 0.92 is no suggestion (service.route routes such a
    list to staff): the need is unmatched, its best dockable confidence is the stranger's 0.3,
    and the entry says why."""
    cells, unmatched, top, _, totals = compute_coverage(
        [OWN], OWN_SUPPLY, OWN_EXPERTS, [_pair("A7", 0.92), _pair("A8", 0.3)], tokenizer,
        threshold=0.5)
    assert (cells[0].suggested, cells[0].unmatched, cells[0].not_computed) == (0, 1, 0)
    [entry] = unmatched
    assert (entry.id, entry.best_confidence, entry.reason, entry.reason_label) == (
        "M1", 0.3, "conflicted_only", "可信候选均不宜对接")
    assert (entry.conflict, entry.conflict_label, entry.conflict_confidence) == (
        "own_result", "需求企业自有成果", 0.92)
    assert entry.note == "可信候选均不宜对接（需求企业自有成果，置信度 0.92）"
    assert totals["conflicted_only"] == 1 and totals["suggested"] == 0
    assert top["浆料分散"] == 1  # its demand counts as unmet


def test_conflicted_experts_count_neither_and_all_conflicted_has_no_dockable_confidence(
        tokenizer: Tokenizer) -> None:
    _, unmatched, _, _, totals = compute_coverage(
        [OWN], OWN_SUPPLY, OWN_EXPERTS, [_pair("E8", 0.8), _pair("E7", 0.7)], tokenizer,
        threshold=0.5)
    [entry] = unmatched
    assert (entry.best_confidence, entry.conflict, entry.conflict_confidence) == (
        0.0, "excluded", 0.8)
    # below the threshold a conflicted pair is not the reason: the confidence is too low
    _, low, _, _, _ = compute_coverage([OWN], OWN_SUPPLY, OWN_EXPERTS, [_pair("E7", 0.4)],
                                       tokenizer, threshold=0.5)
    assert (low[0].reason, low[0].conflict, low[0].best_confidence) == (
        "low_confidence", None, 0.0)


def test_a_dockable_confident_pair_beside_the_conflicted_one_is_suggested(
        tokenizer: Tokenizer) -> None:
    cells, unmatched, _, _, totals = compute_coverage(
        [OWN], OWN_SUPPLY, OWN_EXPERTS, [_pair("A7", 0.92), _pair("A8", 0.55)], tokenizer,
        threshold=0.5)
    assert unmatched == [] and cells[0].suggested == 1
    assert (totals["suggested"], totals["conflicted_only"]) == (1, 0)


def test_coverage_report_reads_the_stored_pairs_and_records(tmp_path: Path,
                                                           tokenizer: Tokenizer) -> None:
    """Through the store: the batch results of M1 hold its own result first."""
    from techmatch.matcher.analytics import coverage_report
    from techmatch.store import Store

    store = Store(tmp_path / "s.db")
    try:
        store.upsert([OWN, *OWN_SUPPLY, *OWN_EXPERTS])
        with store.transaction():
            store.batch.replace_results("r1", "achievement", "M1", "f", [
                ResultRow(1, "A7", 0.9, 0.92, None), ResultRow(2, "A8", 0.4, 0.3, None)],
                routed=True)
            store.batch.replace_results("r1", "expert", "M1", "f", [
                ResultRow(1, "E8", 0.5, 0.6, None)], routed=True)
        only_results = coverage_report(store, tokenizer, threshold=0.5, kinds=["achievement"])
        assert [(u.id, u.reason, u.conflict, u.best_confidence)
                for u in only_results.unmatched] == [("M1", "conflicted_only", "own_result", 0.3)]
        assert any("可信候选均不宜对接" in n for n in only_results.notes)
        data = only_results.as_dict()["unmatched"][0]
        assert (data["reason"], data["conflict_label"]) == ("conflicted_only", "需求企业自有成果")
        both = coverage_report(store, tokenizer, threshold=0.5)
        assert (both.unmatched[0].conflict, both.unmatched[0].conflict_confidence) == (
            "own_result", 0.92)  # E8 (declared exclusion) at 0.6 is conflicted too
        with store.transaction():
            store.batch.replace_results("r1", "expert", "M1", "f", [
                ResultRow(1, "E9", 0.5, 0.6, None)], routed=False)  # no record: unchecked
        assert coverage_report(store, tokenizer, threshold=0.5).totals["suggested"] == 1
    finally:
        store.close()
