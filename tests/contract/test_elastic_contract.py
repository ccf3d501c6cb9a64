"""The index contract run against the Elasticsearch backend on a real node, kNN included.

The node is Elasticsearch 9.x from Maven Central, started for the session by
tests/services/es_fixtures.py (or the cluster named by TECHMATCH_ES_URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from contract import Harness, IndexContract
from es_node import drop_prefix, unique_prefix

from techmatch.config import Settings
from techmatch.indexers import elastic
from techmatch.indexers.base import Index
from techmatch.indexers.tokenize import Tokenizer


class ElasticHarness(Harness):
    """The contract harness through the elastic module, on one shared client."""

    def __init__(self, settings: Settings, tokenizer: Tokenizer) -> None:
        super().__init__(settings, tokenizer)
        self.client = elastic.connect(settings)

    def sync(self, kind: str = "achievement") -> Index:
        options = {"encoder": self.encoder, "tokenizer": self.tokenizer, "client": self.client}
        elastic.sync_index(self.settings, kind, self.store, **options)  # type: ignore
        return elastic.open_index(self.settings, kind, **options)  # type: ignore

    def close(self) -> None:
        drop_prefix(self.client, self.settings.es_index_prefix)
        self.client.close()
        self.store.close()


class TestElasticContract(IndexContract):
    url: str

    @pytest.fixture(autouse=True)
    def _node(self, es_url: str) -> None:
        self.url = es_url

    def settings(self, home: Path) -> Settings:
        return Settings(home=home, backend="elasticsearch", threads=1, es_url=self.url,
                        es_index_prefix=unique_prefix())

    @pytest.fixture
    def harness(self, tmp_path: Path, tokenizer: Tokenizer) -> Iterator[Harness]:
        harness = ElasticHarness(self.settings(tmp_path / "home"), tokenizer)
        yield harness
        harness.close()


class TestElasticHnswContract(TestElasticContract):
    """Same contract with HNSW forced (exact search limit 0), as for the embedded backend."""

    def settings(self, home: Path) -> Settings:
        return super().settings(home).model_copy(update={"dense_exact_max": 0})
