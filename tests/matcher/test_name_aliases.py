"""An expert's name with an alias in brackets — 王海伦（Helen Wang）, David Chen (陈大卫) — is
found by either name alone, in the index's names field and by the naming rule
(techmatch.matcher.names) alike. Before, the whole string was one name: Helen Wang and 陈大卫
named nothing, and 王海伦 inside a longer text (王海伦 储能) did not either. A bracket after an
organisation is no alias: 华为技术有限公司（深圳） is not named by 深圳."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.names import named_in
from techmatch.matcher.service import MatchService
from techmatch.models.records import Expert

HELEN = Expert(id="ex-helen", name="王海伦（Helen Wang）", organization="浙江大学",
               keywords=["储能", "锂电池"])
DAVID = Expert(id="ex-david", name="David Chen (陈大卫)", organization="上海交通大学",
               keywords=["机器人", "视觉"])
HUAWEI = Expert(id="ex-hw", name="赵一鸣", organization="华为技术有限公司（深圳）",
                keywords=["通信", "芯片"])
OTHERS = [Expert(id=f"ex-{i}", name=name, organization="清华大学", keywords=["储能"])
          for i, name in enumerate(["王海涛", "陈大伟", "Helen Zhou", "李明远"])]


@pytest.mark.parametrize("text, expert", [
    ("王海伦", HELEN), ("Helen Wang", HELEN), ("helen wang 储能", HELEN), ("王海伦 储能", HELEN),
    ("Helen", HELEN), ("David Chen", DAVID), ("陈大卫", DAVID), ("陈大卫团队 视觉", DAVID),
])
def test_each_name_in_brackets_names_the_expert(text: str, expert: Expert) -> None:
    assert named_in(text, expert)


def test_a_bracket_after_an_organisation_is_no_alias() -> None:
    assert not named_in("深圳 芯片", HUAWEI)
    assert named_in("华为技术有限公司", HUAWEI)  # the organisation itself still names it


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatchService]:
    engine = Engine.open(Settings(home=tmp_path_factory.mktemp("aliases") / "home", threads=1),
                         encoder=HashEncoder())
    engine.store.upsert([HELEN, DAVID, HUAWEI, *OTHERS])
    engine.sync(("expert",))
    yield MatchService(engine)
    engine.close()


@pytest.mark.parametrize("text, rid", [
    ("王海伦", "ex-helen"), ("Helen Wang", "ex-helen"), ("王海伦 储能", "ex-helen"),
    ("David Chen", "ex-david"), ("陈大卫", "ex-david"),
])
def test_the_search_lists_the_expert_first_by_either_name(service: MatchService, text: str,
                                                          rid: str) -> None:
    hits = service.search(text, kind="expert", k=5, explain=False).hits
    assert hits[0].id == rid and hits[0].match_by == "name", [(h.id, h.match_by) for h in hits]
    assert [h.id for h in hits if h.named] == [rid]


def test_the_index_finds_an_alias_by_its_start(service: MatchService) -> None:
    """陈大 is the start of 陈大卫 (a person's 2 characters): only the alias's start terms in
    the names field find David Chen (陈大卫) for it, whatever the tokenizer made of the name."""
    hits = service.search("陈大", kind="expert", k=5, explain=False).hits
    assert {h.id for h in hits if h.named} == {"ex-david", "ex-1"}  # and 陈大伟
