"""匹配 cards mark every occurrence of a shared term in both texts, not only the first three
the API lists per term (MAX_SPANS keeps the JSON small): on the samples 225 of 1,558 matched
terms of the 48 needs' top-10 achievements had occurrences left unmarked, so 隔膜 was marked
in one sentence and plain in the next."""

from __future__ import annotations

from techmatch.api.console.views.decide import Decisions
from techmatch.api.console.views.matching import cards
from techmatch.models.records import record_type
from techmatch.models.results import Explanation, Highlight, Hit, Ranking


def test_every_occurrence_of_a_term_is_marked() -> None:
    need = record_type("need").model_validate({
        "id": "N1", "title": "锂电池隔膜掉粉",
        "description": "隔膜涂覆后隔膜表面掉粉；隔膜分切时更严重。"})
    record = record_type("achievement").model_validate({
        "id": "A1", "title": "隔膜涂覆浆料", "abstract": "用于隔膜，隔膜剥离强度高，隔膜不掉粉。"})
    exp = Explanation(matched_terms=[Highlight(  # as the API sends it: three spans per side
        term="隔膜", display="隔膜", query_spans=[(3, 5), (8, 10), (13, 15)],
        record_spans=[(0, 2), (9, 11), (12, 14)])])
    ranking = Ranking(kind="achievement", mode="hybrid",
                      hits=[Hit(id="A1", kind="achievement", score=1.0, rank=1, explanation=exp)])
    [card] = cards(need, ranking, {"A1": record}, Decisions({}, frozenset()))
    assert str(card.need_text).count("<mark>隔膜</mark>") == need.text().count("隔膜") == 4
    assert str(card.record_text).count("<mark>隔膜</mark>") == record.text().count("隔膜") == 4


def test_traditional_occurrences_are_marked_on_the_text_shown() -> None:
    need = record_type("need").model_validate({
        "id": "N2", "title": "電池熱失控", "description": "電池包內電池熱失控；电池模組電池過熱。"})
    record = record_type("achievement").model_validate({"id": "A2", "title": "电池热失控预警"})
    exp = Explanation(matched_terms=[Highlight(
        term="电池", display="電池", query_spans=[(0, 2), (6, 8), (10, 12)],
        record_spans=[(0, 2)])])
    ranking = Ranking(kind="achievement", mode="hybrid",
                      hits=[Hit(id="A2", kind="achievement", score=1.0, rank=1, explanation=exp)])
    [card] = cards(need, ranking, {"A2": record}, Decisions({}, frozenset()))
    marked = str(card.need_text)
    assert marked.count("<mark>電池</mark>") == 4 and marked.count("<mark>电池</mark>") == 1
