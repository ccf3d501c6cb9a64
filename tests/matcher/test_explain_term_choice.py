"""When two texts share more terms than an explanation lists (MAX_TERMS), the ones kept are
those the query states first, not the first by Unicode order: N001 → A042 listed 提高、表面
but not 隔膜 or 陶瓷, the words of the need's title, because 隔 and 陶 sort late."""

from __future__ import annotations

from techmatch.matcher.explain import MAX_TERMS, NormalizedText, highlights

# 12 words that sort before 隔 (U+9694) and 陶 (U+9676); the query names them after its title
LATER = ["分散", "剥离", "勃姆", "提高", "沉降", "浆料", "涂层", "涂布", "涂覆", "表面", "配方",
         "粘度"]


def test_the_terms_listed_are_the_ones_the_query_states_first() -> None:
    query = NormalizedText("隔膜陶瓷掉粉。" + "、".join(LATER))
    record = NormalizedText("、".join(["陶瓷", "隔膜", *LATER]))
    found = highlights(query, record, ["隔膜", "陶瓷", *LATER])
    assert len(found) == MAX_TERMS
    terms = [h.term for h in found]
    assert "隔膜" in terms and "陶瓷" in terms
    assert "粘度" not in terms and "配方" not in terms  # the last two the query names
    assert terms == sorted(terms, key=lambda t: (-len(t), t))  # listed as before


def test_under_the_cap_every_shared_term_is_listed() -> None:
    query = NormalizedText("隔膜陶瓷。" + "、".join(LATER[:5]))
    record = NormalizedText("、".join(["隔膜", "陶瓷", *LATER[:5]]))
    found = highlights(query, record, ["隔膜", "陶瓷", *LATER[:5]])
    assert {h.term for h in found} == {"隔膜", "陶瓷", *LATER[:5]}
