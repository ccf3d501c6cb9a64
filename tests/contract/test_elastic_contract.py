"""The index contract run against the Elasticsearch backend.

Without TECHMATCH_ES_URL: against osmem-server (an in-memory OpenSearch-API emulator started on
127.0.0.1), lexical part only — indexes are built without vectors and every `dense` test is
skipped. With TECHMATCH_ES_URL: every test, against that cluster, with vectors.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from contract import Harness, IndexContract
from es_node import KNN_SKIP, EsTarget, drop_prefix, start_target, unique_prefix

from techmatch.config import Settings
from techmatch.indexers import elastic
from techmatch.indexers.base import Index
from techmatch.indexers.tokenize import Tokenizer


@pytest.fixture(scope="session")
def es_target() -> Iterator[EsTarget]:
    yield from start_target()


class ElasticHarness(Harness):
    """The contract harness, but through the elastic module with the test transport."""

    def __init__(self, settings: Settings, tokenizer: Tokenizer, target: EsTarget) -> None:
        super().__init__(settings, tokenizer)
        self.target = target
        self.client = elastic.connect(settings, node_class=target.node_class)
        self.opened: list[Index] = []

    def sync(self) -> Index:
        options = {"encoder": self.encoder, "tokenizer": self.tokenizer, "client": self.client,
                   "dense": self.target.dense}
        elastic.sync_index(self.settings, "achievement", self.store, **options)  # type: ignore
        index = elastic.open_index(self.settings, "achievement", **options)  # type: ignore
        self.opened.append(index)
        return index

    def close(self) -> None:
        drop_prefix(self.client, self.settings.es_index_prefix)
        self.client.close()
        self.store.close()


class TestElasticContract(IndexContract):
    target: EsTarget

    @pytest.fixture(autouse=True)
    def _target(self, es_target: EsTarget, request: pytest.FixtureRequest) -> None:
        if "dense" in request.node.name and not es_target.dense:
            pytest.skip(KNN_SKIP)
        self.target = es_target

    def settings(self, home: Path) -> Settings:
        return Settings(home=home, backend="elasticsearch", threads=1, es_url=self.target.url,
                        es_index_prefix=unique_prefix())

    @pytest.fixture
    def harness(self, tmp_path: Path, tokenizer: Tokenizer) -> Iterator[Harness]:
        harness = ElasticHarness(self.settings(tmp_path / "home"), tokenizer, self.target)
        yield harness
        harness.close()
