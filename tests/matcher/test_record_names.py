"""Staff look achievements up by their institution and needs by their enterprise, as experts
by name and organisation (the index's `names` field, read only by free-text searches); matching
a need to achievements never reads institutions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement, Need

CAS = "中国科学院苏州纳米技术与纳米仿生研究所"
ACHIEVEMENTS = [
    Achievement(id="a-1", title="勃姆石浆料高分散制备", abstract="锂电池隔膜涂覆", institution=CAS),
    Achievement(id="a-2", title="水性陶瓷涂覆隔膜", abstract="掉粉抑制与粘结体系",
                institution="苏州大学材料与化学化工学部"),
    Achievement(id="a-3", title="碳化硅功率模块双面散热封装", abstract="车规级功率器件",
                institution="浙江大学电气工程学院"),
    Achievement(id="a-4", title="隔膜涂布浆料在线粘度监测", abstract="自动补液装置",
                institution=CAS),
]
NEEDS = [
    Need(id="n-1", title="隔膜陶瓷涂覆浆料分散不均", description="涂层掉粉",
         enterprise="苏州纳锂新材料科技有限公司"),
    Need(id="n-2", title="减速器噪声偏大", description="传动精度衰减",
         enterprise="苏州精传智能装备有限公司"),
    Need(id="n-3", title=f"{CAS} 勃姆石 隔膜浆料", description="锂电池隔膜涂覆浆料分散"),
]


def _engine(home: Path, achievements: list[Achievement]) -> Engine:
    engine = Engine.open(Settings(home=home, threads=1), encoder=HashEncoder())
    engine.store.upsert([*achievements, *NEEDS])
    engine.sync(("achievement", "need"))
    return engine


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatchService]:
    engine = _engine(tmp_path_factory.mktemp("record-names") / "home", ACHIEVEMENTS)
    yield MatchService(engine)
    engine.close()


def _ids(service: MatchService, text: str, kind: str) -> list[str]:
    return [h.id for h in service.search(text, kind=kind, k=10, explain=False).hits]


def test_an_institution_finds_its_achievements_and_an_enterprise_its_needs(
        service: MatchService) -> None:
    assert set(_ids(service, CAS, "achievement")[:2]) == {"a-1", "a-4"}
    assert _ids(service, "浙江大学电气工程学院", "achievement")[0] == "a-3"
    assert _ids(service, "苏州精传智能装备有限公司", "need")[0] == "n-2"


def test_matching_a_need_never_reads_institutions(service: MatchService,
                                                  tmp_path: Path) -> None:
    """n-3 holds a-1's and a-4's institution: matching ranks exactly as it does when every
    institution is another one (names are not evidence of fit)."""
    ranking = service.match_need("n-3", target="achievement", k=10, explain=False)
    renamed = [a.model_copy(update={"institution": f"机构{i}"})
               for i, a in enumerate(ACHIEVEMENTS)]
    other = _engine(tmp_path / "renamed", renamed)
    try:
        plain = MatchService(other).match_need("n-3", target="achievement", k=10,
                                               explain=False)
    finally:
        other.close()
    assert [(h.id, round(h.score, 6)) for h in ranking.hits] == [
        (h.id, round(h.score, 6)) for h in plain.hits]
    assert {h.id for h in ranking.hits} == {"a-1", "a-2", "a-3", "a-4"}


def _named(service: MatchService, text: str, kind: str) -> list[str]:
    return [h.id for h in service.search(text, kind=kind, k=10, explain=False).hits if h.named]


def test_a_clear_start_of_a_name_names_a_record_and_a_fragment_does_not(
        service: MatchService) -> None:
    """As the console's search box reads it (techmatch.matcher.names): 苏州精传 and 中国科学院
    name their records, 苏州 (a place starting most names here) and 新材料 name nothing."""
    assert _named(service, "苏州精传", "need") == ["n-2"]
    assert _ids(service, "苏州精传", "need")[0] == "n-2"
    assert set(_named(service, "中国科学院", "achievement")) == {"a-1", "a-4"}
    assert _named(service, "苏州", "need") == [] and _named(service, "苏州", "achievement") == []
    assert _named(service, "新材料", "need") == []
    assert _named(service, "苏州纳锂新材料科技有限公司 隔膜", "need") == ["n-1"]  # whole


def test_a_search_that_names_its_answer_is_not_routed_to_staff(service: MatchService) -> None:
    """苏州精传智能装备有限公司 typed: n-2 comes first marked named, and no hit is confident —
    the list said 没有足够好的匹配，请转人工处理 (no_good_match) although staff found what they
    named. Such a list is not routed and says why (named_match); the rest routes as before."""
    from techmatch.matcher.service import NAMED_MESSAGE, route

    threshold = service.engine.settings.confidence_threshold
    ranking = service.search("苏州精传智能装备有限公司", kind="need", k=10, explain=False)
    assert ranking.hits[0].id == "n-2" and ranking.hits[0].named
    assert max(h.confidence or 0.0 for h in ranking.hits) < threshold  # nothing confident
    assert (ranking.routed_to_staff, ranking.message_code) == (False, "named_match")
    assert ranking.message == NAMED_MESSAGE
    topic = service.search("量子计算机 芯片封装", kind="need", k=10, explain=False)
    assert not any(h.named for h in topic.hits)
    assert (topic.routed_to_staff, topic.message_code) == (True, "no_good_match")
    weak = [h.model_copy(update={"named": False}) for h in ranking.hits]
    assert route(weak, threshold)[2] == "no_good_match"  # the same list without the name
