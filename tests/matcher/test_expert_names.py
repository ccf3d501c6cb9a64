"""Staff look experts up by name or organisation (张伟, 清华大学) in the expert search, on both
backends; matching a need never reads names (techmatch.matcher.names)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.names import named_in
from techmatch.matcher.service import MatchService
from techmatch.models.records import Expert, Need
from techmatch.models.results import Filters

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import contract_experts  # noqa: E402
from es_node import drop_prefix  # noqa: E402

BACKENDS = ["embedded", pytest.param("elasticsearch", marks=pytest.mark.slow)]
NEED = Need(id="n-1", title="清华大学张伟团队 锂电池储能", description="锂电池正极材料循环寿命")


def _engine(settings: Settings, experts: list[Expert]) -> Engine:
    engine = Engine.open(settings, encoder=HashEncoder())
    engine.store.upsert([*experts, NEED])
    engine.sync(("expert", "need"))
    return engine


def _drop(settings: Settings) -> None:
    from techmatch.indexers import elastic

    client = elastic.connect(settings)
    names = sorted(client.indices.get_alias(index=f"{settings.es_index_prefix}_*").body)
    if names:  # by name: the node refuses wildcard deletes
        client.indices.delete(index=",".join(names))
    client.close()


@pytest.fixture(scope="module")
def embedded_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = _engine(Settings(home=tmp_path_factory.mktemp("names") / "home", threads=1),
                     contract_experts())
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def es_engine(tmp_path_factory: pytest.TempPathFactory, es_url: str) -> Iterator[Engine]:
    settings = Settings(home=tmp_path_factory.mktemp("names-es") / "home", threads=1,
                        backend="elasticsearch", es_url=es_url,
                        es_index_prefix=f"tmnames{os.getpid()}")
    engine = _engine(settings, contract_experts())
    yield engine
    engine.close()
    from techmatch.indexers import elastic

    client = elastic.connect(settings)
    drop_prefix(client, settings.es_index_prefix)  # the node outlives the test session
    client.close()
    _drop(settings)


def _service(request: pytest.FixtureRequest, backend: str) -> MatchService:
    name = "embedded_engine" if backend == "embedded" else "es_engine"
    return MatchService(request.getfixturevalue(name))


def _ids(service: MatchService, text: str, **kw: object) -> list[str]:
    return [h.id for h in service.search(text, kind="expert", k=10, explain=False,
                                         **kw).hits]  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_expert_is_found_by_name_and_by_organisation(request: pytest.FixtureRequest,
                                                        backend: str) -> None:
    service = _service(request, backend)
    assert _ids(service, "张伟")[0] == "ex-1"
    assert _ids(service, "李娜")[0] == "ex-2"
    assert set(_ids(service, "清华大学")[:2]) == {"ex-1", "ex-3"}
    assert set(_ids(service, "清华大学 光伏")[:2]) == {"ex-1", "ex-3"}  # then the others
    assert _ids(service, "苏州大学陈明")[0] == "ex-4"
    assert _ids(service, "清华大学", filters=Filters(city=["北京"],
                                                  discipline=["电气工程"])) == ["ex-3"]
    ranking = service.search("张伟", kind="expert", k=3)  # explained, as the API answers
    assert ranking.hits[0].id == "ex-1" and ranking.hits[0].explanation is not None


@pytest.mark.parametrize("backend", BACKENDS)
def test_matching_a_need_never_reads_names(request: pytest.FixtureRequest,
                                           backend: str) -> None:
    """The need holds ex-1's name and organisation: matching ranks exactly as it does when
    nobody has that name or organisation (names are not evidence of fit)."""
    service = _service(request, backend)
    ranking = service.match_need("n-1", target="expert", k=10, explain=False)
    renamed = [e.model_copy(update={"name": f"专家{i}", "organization": f"机构{i}"})
               for i, e in enumerate(contract_experts())]
    settings = service.engine.settings
    other = _engine(settings.model_copy(update={
        "home": Path(settings.home).parent / "renamed",
        "es_index_prefix": settings.es_index_prefix + "renamed"}), renamed)
    try:
        plain = MatchService(other).match_need("n-1", target="expert", k=10, explain=False)
    finally:
        other.close()
        if backend == "elasticsearch":
            _drop(other.settings)
    assert [(h.id, round(h.score, 6)) for h in ranking.hits] == [
        (h.id, round(h.score, 6)) for h in plain.hits]
    assert {h.id for h in ranking.hits} == {"ex-1", "ex-2", "ex-3", "ex-4"}


def test_a_query_names_an_expert_by_a_whole_name_or_a_clear_start() -> None:
    expert = Expert(id="e", name="张伟民", organization="北京化工大学", bio="催化")
    assert named_in("张伟民", expert) and named_in("北京化工大学 催化剂", expert)
    assert named_in("北京 化工 大学", expert)  # spaces typed in the middle
    assert named_in("张伟", expert)  # surname and the start of the given name
    assert named_in("北京化工", expert)  # four characters of the organisation
    assert not named_in("张", expert) and not named_in("北京", expert)  # fragments
    assert not named_in("北京化", expert)
    assert not named_in("化工 废水处理", expert)  # part of the organisation only
    assert not named_in("张伟 催化", expert)  # a start names only as the whole text
    assert not named_in("张", Expert(id="w", name="张", bio="x"))
    latin = Expert(id="l", name="Li", organization="MIT", bio="battery")
    assert named_in("li", latin) and named_in("MIT battery", latin)
    assert not named_in("lithium limits", latin)
    harris = Expert(id="h", name="Michael Harris", organization="University of Manchester",
                    bio="x")
    assert named_in("michael", harris) and named_in("University of", harris)
    assert not named_in("mich", harris) and not named_in("Univ", harris)
