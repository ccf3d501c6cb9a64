"""The library search box's direct hits (views.catalog.direct): what a typed id or name names
(names by techmatch.matcher.names, the rule the API's search uses)."""

from __future__ import annotations

from techmatch.api.console.views.catalog import ID_MATCH, NAME_MATCH, direct, row_of
from techmatch.models.records import Achievement, Expert, Need

ROWS = [row_of(r) for r in (
    Need(id="N001", title="隔膜涂覆", enterprise="苏州纳锂新材料科技有限公司"),
    Need(id="N002", title="减速器噪声", enterprise="苏州精传智能装备有限公司"),
    Achievement(id="A001", title="勃姆石浆料", institution="中国科学院苏州纳米技术研究所"),
    Expert(id="E018", name="蒋伟", organization="浙江大学电气工程学院", bio="碳化硅模块"),
    Expert(id="E019", name="蒋伟民", organization="苏州大学", bio="功率器件"),
)]


def test_an_id_is_read_folded_and_in_any_case() -> None:
    assert direct(ROWS, "n002") == {"N002": ID_MATCH}
    assert direct(ROWS, " Ｎ００２ ") == {"N002": ID_MATCH}


def test_a_name_equal_comes_before_a_name_it_starts() -> None:
    assert list(direct(ROWS, "蒋伟").items()) == [("E018", NAME_MATCH), ("E019", NAME_MATCH)]
    assert direct(ROWS, "蘇州精傳") == {"N002": NAME_MATCH}  # traditional, as matching reads
    assert direct(ROWS, "中国科学院") == {"A001": NAME_MATCH}
    assert direct(ROWS, "浙江大学电气工程学院 碳化硅") == {"E018": NAME_MATCH}  # whole, in a text


def test_names_of_one_group_come_in_the_searchs_order() -> None:
    rows = [row_of(Expert(id=rid, name=name, bio="x")) for rid, name in
            (("E1", "蒋伟民"), ("E2", "蒋伟"), ("E3", "蒋伟东"))]
    assert list(direct(rows, "蒋伟")) == ["E2", "E1", "E3"]
    assert list(direct(rows, "蒋伟", {"E3": 1, "E2": 2, "E1": 3})) == ["E2", "E3", "E1"]


def test_a_place_or_a_short_start_names_nothing() -> None:
    """苏州 starts the names of most records here: it flooded the list with 名称一致."""
    assert direct(ROWS, "苏州") == {}
    assert direct(ROWS, "苏州精") == {}  # an organisation's start needs four characters


def test_a_topic_word_inside_a_name_or_one_character_names_nothing() -> None:
    assert direct(ROWS, "新材料") == {}  # inside 苏州纳锂新材料科技: a topic, ranked as one
    assert direct(ROWS, "蒋") == {}
    assert direct(ROWS, "锂电池隔膜涂覆浆料分散") == {}
