"""Experts with several disciplines / industries / languages, end to end on both backends: a
filter on any of an expert's values finds them (search, retrieval in every mode, the ranking
service's own filter check). Only the first value was indexed before."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService, passes
from techmatch.models.records import Expert
from techmatch.models.results import Filters

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import contract_experts  # noqa: E402
from es_node import drop_prefix  # noqa: E402

BACKENDS = ["embedded", pytest.param("elasticsearch", marks=pytest.mark.slow)]


def _engine(settings: Settings) -> Engine:
    engine = Engine.open(settings, encoder=HashEncoder())
    engine.store.upsert(contract_experts())
    engine.sync(("expert",))
    return engine


@pytest.fixture(scope="module")
def embedded_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = _engine(Settings(home=tmp_path_factory.mktemp("experts") / "home", threads=1))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def es_engine(tmp_path_factory: pytest.TempPathFactory, es_url: str) -> Iterator[Engine]:
    from techmatch.indexers import elastic

    settings = Settings(home=tmp_path_factory.mktemp("experts-es") / "home", threads=1,
                        backend="elasticsearch", es_url=es_url,
                        es_index_prefix=f"tmexperts{os.getpid()}")
    engine = _engine(settings)
    yield engine
    engine.close()
    client = elastic.connect(settings)
    drop_prefix(client, settings.es_index_prefix)
    client.close()


def _engine_of(request: pytest.FixtureRequest, backend: str) -> Engine:
    return request.getfixturevalue("embedded_engine" if backend == "embedded" else "es_engine")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_retrieval_filters_on_any_value(request: pytest.FixtureRequest, backend: str,
                                        mode: str) -> None:
    retriever = _engine_of(request, backend).retriever()
    text = "锂电池 储能 智能制造"

    def found(**filters: list[str]) -> list[str]:
        ranking = retriever.search(text, kind="expert", k=10, mode=mode,
                                   filters=Filters(**filters))
        return sorted(h.id for h in ranking.hits)

    assert found(discipline=["化学工程"]) == ["ex-1", "ex-2"]  # ex-1's second discipline
    assert found(industry=["人工智能"]) == ["ex-4"]  # ex-4's second industry
    assert found(industry=["新材料"]) == ["ex-1"]
    assert found(language=["en"]) == ["ex-1"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_service_filters_on_any_value(request: pytest.FixtureRequest,
                                             backend: str) -> None:
    service = MatchService(_engine_of(request, backend))
    ranking = service.search("锂电池", kind="expert", k=10, explain=False,
                             filters=Filters(discipline=["化学工程"]))
    assert sorted(h.id for h in ranking.hits) == ["ex-1", "ex-2"]


def test_service_filter_check_reads_every_value() -> None:
    """`passes` keeps pooled candidates (experts owning top achievements) under filters."""
    expert = Expert(id="e", name="张伟", bio="储能", disciplines=["材料科学", "化学工程"],
                    industries=["新能源", "新材料"], languages=["zh", "en"])
    assert passes(expert, Filters(discipline=["化学工程"]))
    assert passes(expert, Filters(industry=["新材料"], language=["EN"]))
    assert not passes(expert, Filters(industry=["人工智能"]))
    assert not passes(expert, Filters(discipline=["化学工程"], city=["北京"]))
