"""Patent language read from the query text, and the phrase evidence it lets into the hybrid
(issue 20, docs/evaluation.md "Ninth round")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import make_engine

from techmatch.matcher.features import Query, build_table
from techmatch.matcher.prf import PHRASE_SHARE, minmax, patent_hybrid, phrase_bm25
from techmatch.matcher.querystyle import patent_style
from techmatch.matcher.service import MatchService
from techmatch.matcher.shipped import shipped_model
from techmatch.models.records import Achievement, Need
from techmatch.models.results import Component, Hit, Ranking

PATENT_TITLE = "一种锂电池隔膜陶瓷涂层浆料的制备方法"


@pytest.mark.parametrize(("text", "gate"), [
    # patent titles and claims
    (PATENT_TITLE, 1.0),
    ("一种身份识别方法及装置", 1.0),
    ("信息显示方法及装置和确定目标信息的方法及装置", 1.0),
    ("一种沉香味整理织物及其制备方法", 1.0),
    ("挂烫机的控制方法、装置、挂烫机和存储介质", 1.0),  # an enumeration, not a keyword list
    ("制备聚丙烯腈碳纤维的方法", 1.0),
    ("权利要求书1页说明书3页一种水分散性短切碳纤维", 1.0),
    # a record's whole text is not a title, a patent abstract neither (not measured)
    ("本发明公开了一种锂电池隔膜陶瓷涂层浆料，其特征在于包含勃姆石。", 0.0),
    ("一种建筑施工专用的纸面石膏板", 0.5),
    ("机器人控制装置", 0.5),
    # paper titles, also those opening with 一种
    ("一种M型药型罩形成环形射流的数值模拟研究", 0.0),
    ("一种改进的星载干涉SAR复图像最大频谱配准算法", 0.0),
    ("一种基于FPGA的多通道复用鉴相器的设计与实现", 0.0),
    ("经编复合材料在风能发电中的应用", 0.0),
    ("基于深度学习的图像分割方法研究", 0.0),
    ("盐胁迫对马蔺生长及K+、Na+吸收与运输的影响", 0.0),
    # enterprise needs and requests
    ("我们需要一种锂电池隔膜陶瓷涂层浆料的制备方法", 0.0),
    ("我们需要一种能在低温下保持活性的酶制剂", 0.0),
    ("求购一种污泥干化设备", 0.0),
    ("如何降低印染废水的色度？", 0.0),
    ("隔膜陶瓷涂层浆料易团聚沉降。我司希望改进分散工艺，降低掉粉。", 0.0),
    # keyword lists
    ("项目管理、全过程管理、水运工程", 0.0),
    ("锂电池、隔膜、涂覆装置", 0.0),
    ("", 0.0),
])
def test_patent_language_is_read_from_the_text(text: str, gate: float) -> None:
    assert patent_style(text) == pytest.approx(gate)


def test_a_partial_list_scales_the_gate_down() -> None:
    # two short phrases: list_style 0.5, so the object-head reading 0.5 is halved
    assert patent_style("干燥装置，污泥干燥装置") == pytest.approx(0.25)


def test_phrase_bm25_prefers_the_text_restating_the_phrase() -> None:
    texts = ["本发明公开了一种锂电池隔膜陶瓷涂层浆料的制备方法。",
             "锂电池隔膜的陶瓷涂层，浆料与制备方法各不相同。", "小麦抗旱品种选育。"]
    s = phrase_bm25(PATENT_TITLE, texts)
    assert s[0] > s[1] > s[2] == 0.0
    assert phrase_bm25("", texts).tolist() == [0.0, 0.0, 0.0]
    assert phrase_bm25(PATENT_TITLE, []).shape == (0,)


def test_the_mix_costs_nothing_when_the_gate_is_zero() -> None:
    hybrid = np.array([1.0, 0.4, 0.0])

    def unread() -> list[str]:
        raise AssertionError("texts read for a query that is not patent language")

    assert patent_hybrid(hybrid, "基于深度学习的图像分割方法研究", unread) is hybrid
    assert patent_hybrid(hybrid, "项目管理、全过程管理、水运工程", unread) is hybrid
    texts = ["小麦抗旱品种选育。", "锂电池隔膜陶瓷涂层浆料的制备方法。", "锂电池。"]
    mixed = patent_hybrid(hybrid, PATENT_TITLE, lambda: texts)
    expected = (1 - PHRASE_SHARE) * hybrid + PHRASE_SHARE * minmax(phrase_bm25(PATENT_TITLE,
                                                                                texts))
    assert mixed == pytest.approx(expected)


def _hybrid(kind: str) -> tuple[list[float], list[float]]:
    """`hybrid_mm` and 0.5 · lexical_mm + 0.5 · dense_mm of a patent-language query over three
    candidates of `kind` (the second restates the query's phrase)."""
    cls = Achievement if kind == "achievement" else Need
    texts = ["锂电池隔膜的陶瓷涂层与浆料", PATENT_TITLE + "，用勃姆石", "小麦抗旱品种"]
    recs = {f"r{i}": cls(id=f"r{i}", title=t) for i, t in enumerate(texts)}
    hits = [Hit(id=f"r{i}", kind=kind, score=1.0 - i / 4, rank=i + 1,
                lexical=Component(score=3.0 - i, rank=i + 1), dense=Component())
            for i in range(3)]
    table = build_table(Query.of(PATENT_TITLE), frozenset({"锂电池"}),
                        Ranking(kind=kind, mode="hybrid", hits=hits), kind, recs, {},
                        np.array([0.9, 0.8, 0.2]))
    plain = 0.5 * table.column("lexical_mm") + 0.5 * table.column("dense_mm")
    return table.column("hybrid_mm").tolist(), plain.tolist()


def test_only_achievement_targets_take_the_phrase_evidence() -> None:
    """Measured on patents restating their titles: a need or expert target keeps the hybrid."""
    mixed, plain = _hybrid("achievement")
    assert mixed != pytest.approx(plain) and mixed[1] > plain[1]
    assert _hybrid("need")[0] == pytest.approx(_hybrid("need")[1])


RECORDS = [
    Achievement(id="p1", title="隔膜涂覆材料",
                abstract="本发明公开了一种锂电池隔膜陶瓷涂层浆料的制备方法，将勃姆石与粘结剂在水中"
                         "分散，制得浆料后涂覆于基膜。"),
    Achievement(id="a1", title="锂电池隔膜陶瓷涂层研究进展",
                abstract="综述了锂电池隔膜的陶瓷涂层。陶瓷涂层提高隔膜耐热性，锂电池隔膜涂层的浆料、"
                         "制备工艺与方法各不相同，陶瓷隔膜是锂电池的研究热点。"),
    Achievement(id="a2", title="锂电池正极材料制备",
                abstract="锂电池正极材料的制备方法研究，提高电池容量。"),
    Achievement(id="a3", title="陶瓷浆料流变性", abstract="陶瓷浆料的流变性与涂层质量。"),
    Need(id="n1", title=PATENT_TITLE),
]


@pytest.fixture()
def service(tmp_path: Path) -> MatchService:
    model = shipped_model()
    assert model is not None
    return MatchService(make_engine(tmp_path, RECORDS), model=model)


def test_a_patent_language_query_ranks_the_patent_restating_it_first(
        service: MatchService) -> None:
    """The review paper shares more of the title's words (and wins on the hybrid alone); the
    patent whose abstract restates the title's phrase ranks first, in search and in match."""
    assert [h.id for h in service.search(PATENT_TITLE, kind="achievement", k=4).hits][:2] == \
        ["p1", "a1"]
    assert [h.id for h in service.match_need("n1", target="achievement", k=4).hits][:2] == \
        ["p1", "a1"]


def test_a_need_asking_for_the_same_thing_is_ranked_as_before(service: MatchService) -> None:
    """A first-person request is not patent language: no phrase evidence, the hybrid's order."""
    hits = service.search("我们需要" + PATENT_TITLE, kind="achievement", k=4).hits
    assert [h.id for h in hits][:2] == ["a1", "p1"]
