"""Engine builds its Retriever once per index generation and retrieval.json version, yet sees
a generation another process publishes and a retuned retrieval.json at the next call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.config import TUNED_FILE, Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.models.records import Achievement, Need

NEEDS = [Need(id="n1", title="锂电池隔膜涂层", description="陶瓷涂覆浆料分散"),
         Need(id="n2", title="注塑件翘曲变形", description="模具冷却")]


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture()
def engines(home: Path) -> Iterator[tuple[Engine, Engine]]:
    """A serving engine and a second one (as another process would) on the same home."""
    serving = Engine.open(Settings(home=home, threads=1), encoder=HashEncoder())
    serving.store.upsert(NEEDS[:1])
    serving.sync(("need",))
    writer = Engine.open(Settings(home=home, threads=1), encoder=HashEncoder())
    yield serving, writer
    writer.close()
    serving.close()


def test_retriever_is_reused_while_nothing_changes(engines: tuple[Engine, Engine],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    serving, _ = engines
    first = serving.retriever()
    reads: list[str] = []
    monkeypatch.setattr(Settings, "retrieval",
                        lambda self: reads.append("read") or pytest.fail("reread"))
    assert serving.retriever() is first
    assert serving.retriever().index("need") is serving.index("need")
    assert reads == []


def test_generation_published_elsewhere_is_seen(engines: tuple[Engine, Engine]) -> None:
    serving, writer = engines
    before = serving.retriever()
    assert [h.id for h in before.search("翘曲", kind="need", mode="lexical").hits] == []
    writer.store.upsert(NEEDS[1:])
    writer.sync(("need",))
    after = serving.retriever()
    assert after is not before
    assert after.index("need").generation == writer.index("need").generation
    assert [h.id for h in after.search("翘曲", kind="need", mode="lexical").hits] == ["n2"]


def test_retuned_parameters_are_seen(engines: tuple[Engine, Engine], home: Path) -> None:
    serving, _ = engines
    assert serving.retriever().params.rrf_k == 60
    (home / TUNED_FILE).write_text(json.dumps({"rrf_k": 7, "depth": 33}), encoding="utf-8")
    params = serving.retriever().params
    assert (params.rrf_k, params.depth) == (7, 33)


def test_kind_built_later_becomes_available(engines: tuple[Engine, Engine]) -> None:
    serving, writer = engines
    assert serving.available_kinds() == ["need"]
    assert serving.available_kinds() == ["need"]  # the missing kinds are remembered
    writer.store.upsert([Achievement(id="a1", title="陶瓷涂覆隔膜")])
    writer.sync(("achievement",))
    assert sorted(serving.available_kinds()) == ["achievement", "need"]
    hits = serving.retriever().search("隔膜", kind="achievement", mode="lexical").hits
    assert [h.id for h in hits] == ["a1"]
