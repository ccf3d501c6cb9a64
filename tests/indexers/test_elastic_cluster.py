"""Elasticsearch under load and failure, on real nodes (tests/services/es_fixtures.py).

- `techmatch reindex` swaps the alias while a search loop runs: no search fails or comes back
  short.
- A two-node cluster with one replica loses a node (SIGKILL): searches go on while the cluster
  is yellow, writes made meanwhile land, and after the node rejoins every shard copy holds
  every record.
- With a write pool of one thread and a queue of one, bulk items are rejected with 429 by the
  nodes themselves; the backend retries them and every record arrives.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import FakeEncoder  # noqa: E402
from es_node import drop_prefix, unique_prefix  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.errors import BackendError  # noqa: E402
from techmatch.indexers import elastic  # noqa: E402
from techmatch.indexers.base import Index  # noqa: E402
from techmatch.indexers.tokenize import Tokenizer  # noqa: E402
from techmatch.models.records import Achievement  # noqa: E402
from techmatch.store import Store  # noqa: E402

pytestmark = pytest.mark.slow
KIND = "achievement"
TOPICS = ["锂电池", "光伏组件", "催化剂", "传感器", "机器人", "芯片封装", "储能系统", "复合材料"]
CITIES = ["苏州", "南京", "深圳", "杭州"]
PROBE = "锂电池"  # a word in exactly the records of topic 0


def corpus(n: int, start: int = 0, topic: str | None = None) -> list[Achievement]:
    """`n` achievements whose titles cycle through TOPICS (or all use `topic`)."""
    out = []
    for i in range(start, start + n):
        word = topic or TOPICS[i % len(TOPICS)]
        out.append(Achievement(id=f"a{i:05d}", title=f"{word}技术方案{i}",
                               abstract=f"面向{CITIES[i % 4]}企业的{word}改进与应用",
                               city=CITIES[i % 4], industry="新能源", type="technology"))
    return out


def expected_probe_hits(records: list[Achievement]) -> int:
    return sum(PROBE in r.title for r in records)


@dataclass
class SearchLoop:
    """Searches in a thread until stopped; what went wrong is collected, never raised."""

    search: Callable[[], int]  # returns the number of hits, raises on failure
    expected: Callable[[], int]
    done: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> SearchLoop:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=120)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                found, wanted = self.search(), self.expected()
                if found != wanted:
                    self.failures.append(f"search {self.done}: {found} hits, wanted {wanted}")
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                self.failures.append(f"search {self.done}: {type(exc).__name__}: {exc}")
            self.done += 1

    def wait_for(self, more: int, timeout: float = 60.0) -> None:
        """Block until `more` further searches completed."""
        target, deadline = self.done + more, time.monotonic() + timeout
        while self.done < target and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.done >= target, f"search loop stalled at {self.done}"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def _settings(home: Path, url: str) -> Settings:
    return Settings(home=home, backend="elasticsearch", threads=1, es_url=url,
                    es_index_prefix=unique_prefix())


@pytest.fixture
def node_env(tmp_path: Path, es_url: str) -> Iterator[tuple[Settings, Elasticsearch, Store]]:
    from techmatch.matcher.engine import STORE_FILE

    settings = _settings(tmp_path, es_url)  # the CLI, run with home=tmp_path, reads this store
    client, store = elastic.connect(settings), Store(tmp_path / STORE_FILE)
    yield settings, client, store
    drop_prefix(client, settings.es_index_prefix)
    client.close()
    store.close()


def test_reindex_swaps_alias_under_search_load(node_env: tuple[Settings, Elasticsearch, Store],
                                               tokenizer: Tokenizer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`techmatch reindex` three times while searches run the way a server runs them: check
    the alias's generation before each search, reopen when it moved."""
    from typer.testing import CliRunner

    from techmatch.cli import app
    from techmatch.indexers import vector_cache as encoder_module

    settings, client, store = node_env
    records = corpus(400)
    store.upsert(records)
    opts: dict[str, Any] = {"encoder": FakeEncoder(), "tokenizer": tokenizer, "client": client}
    elastic.sync_index(settings, KIND, store, **opts)
    state: dict[str, Index] = {"index": elastic.open_index(settings, KIND, **opts)}
    seen: list[str] = []
    query = FakeEncoder().encode_queries(["锂电池 技术方案"])[0]

    def search() -> int:
        name = elastic.current_generation(settings, KIND, client=client)
        if name != state["index"].generation:
            state["index"] = elastic.open_index(settings, KIND, **opts)
        index = state["index"]
        if not seen or seen[-1] != index.generation:
            seen.append(index.generation)
        dense = index.search_dense(query, k=50)
        if len(dense.ids) != 50:
            raise AssertionError(f"kNN gave {len(dense.ids)} of 50 hits")
        return len(index.search_lexical([PROBE], k=500).ids)

    monkeypatch.setattr(encoder_module, "build_encoder", lambda *a, **k: FakeEncoder())
    for key, value in {"BACKEND": "elasticsearch", "ES_URL": settings.es_url or "",
                       "HOME": str(settings.home), "ES_INDEX_PREFIX": settings.es_index_prefix,
                       "THREADS": "1"}.items():
        monkeypatch.setenv(f"TECHMATCH_{key}", value)
    runner = CliRunner()
    prefix = settings.es_index_prefix
    with SearchLoop(search, lambda: expected_probe_hits(records)) as loop:
        loop.wait_for(20)
        for number in (2, 3, 4):
            result = runner.invoke(app, ["reindex", "--kind", KIND])
            assert result.exit_code == 0, result.output
            assert f"{prefix}_{KIND}_v{number}" in result.stdout
            loop.wait_for(20)
    assert loop.failures == []
    assert seen[0] == f"{prefix}_{KIND}_v1" and seen[-1] == f"{prefix}_{KIND}_v4"
    assert len(seen) >= 3  # the loop searched at least one intermediate generation


@pytest.fixture
def pair_env(tmp_path: Path, es_cluster2: Any) -> Iterator[tuple[Settings, Elasticsearch, Store]]:
    settings = _settings(tmp_path, es_cluster2.urls)  # both nodes: the client fails over
    client, store = elastic.connect(settings), Store(tmp_path / "store.sqlite")
    yield settings, client, store
    for prefix in (settings.es_index_prefix, f"{settings.es_index_prefix}bare"):
        client.options(ignore_status=404).indices.delete_index_template(name=prefix)
        drop_prefix(client, prefix)
    client.close()
    store.close()


def _template(client: Elasticsearch, prefix: str, shards: int, replicas: int,
              **extra: object) -> None:
    """Shard and replica counts come from an index template, as docs/elasticsearch.md says."""
    settings = {"number_of_shards": shards, "number_of_replicas": replicas, **extra}
    client.indices.put_index_template(name=prefix, index_patterns=[f"{prefix}_*"],
                                      template={"settings": settings})


def _shard_docs(client: Elasticsearch, index: str) -> dict[tuple[str, str], int]:
    """(shard, p|r) → docs, read from every started copy."""
    client.indices.refresh(index=index)
    rows = client.cat.shards(index=index, format="json", h="shard,prirep,state,docs,node")
    return {(r["shard"], r["prirep"] + r["node"]): int(r["docs"]) for r in rows.body
            if r["state"] == "STARTED"}


def test_node_killed_searches_go_on_and_nothing_is_missing(
        es_cluster2: Any, pair_env: tuple[Settings, Elasticsearch, Store],
        tokenizer: Tokenizer) -> None:
    settings, client, store = pair_env
    prefix = settings.es_index_prefix
    _template(client, prefix, shards=2, replicas=1)
    records = corpus(300)
    store.upsert(records)
    opts: dict[str, Any] = {"encoder": FakeEncoder(), "tokenizer": tokenizer, "client": client}
    elastic.sync_index(settings, KIND, store, **opts)
    index = elastic.open_index(settings, KIND, **opts)
    # a second kind without replicas, one shard per node: it turns red when a node dies
    bare = settings.model_copy(update={"es_index_prefix": f"{prefix}bare"})
    _template(client, bare.es_index_prefix, shards=2, replicas=0,
              **{"routing.allocation.total_shards_per_node": 1})
    elastic.sync_index(bare, KIND, store, **opts)
    # no transport retries: the 503s below are the expected answer, not worth waiting on
    unreplicated = elastic.open_index(bare, KIND, **{**opts,
                                                     "client": client.options(max_retries=0)})
    assert es_cluster2.wait("green", 2)["active_shards"] >= 6
    victim = es_cluster2.nodes[1]
    shards = client.cat.shards(index=index.generation, format="json", h="prirep,node").body
    assert {"p"} <= {s["prirep"] for s in shards if s["node"] == victim.name}  # holds a primary
    query = FakeEncoder().encode_queries(["锂电池"])[0]

    def search() -> int:  # runs in the loop's thread: no store access (SQLite is per thread)
        if len(index.search_dense(query, k=300).ids) != 300:
            raise AssertionError("kNN came back short")
        return len(index.search_lexical([PROBE], k=500).ids)

    with SearchLoop(search, lambda: expected_probe_hits(records)) as loop:
        loop.wait_for(10)
        victim.kill()
        health = client.cluster.health(index=index.generation, wait_for_status="yellow",
                                       wait_for_nodes="1", timeout="120s")
        assert health["status"] == "yellow" and health["number_of_nodes"] == 1
        loop.wait_for(20)
        # half of the unreplicated index is gone: an error, never a half ranking
        with pytest.raises(BackendError, match="lexical search"):
            unreplicated.search_lexical([PROBE], k=500)
        with pytest.raises(BackendError, match="kNN search"):
            unreplicated.search_dense(query, k=10)
        late = corpus(40, start=1000, topic="钠离子电池")  # written while the node is down
        store.upsert(late)
        assert elastic.sync_index(settings, KIND, store, **opts).upserted == 40
        loop.wait_for(10)
        es_cluster2.restart(victim)
        assert es_cluster2.wait("green", 2)["status"] == "green"
        loop.wait_for(10)
    assert loop.failures == []
    assert index.count() == 340 == store.count(KIND)
    assert all(index.has(r.id) for r in late)
    copies = _shard_docs(client, index.generation)
    assert len(copies) == 4 and any(key[1].endswith(victim.name) for key in copies)
    per_shard: dict[str, set[int]] = {}
    for (shard, _), docs in copies.items():
        per_shard.setdefault(shard, set()).add(docs)
    assert all(len(counts) == 1 for counts in per_shard.values())  # replica == primary
    assert sum(next(iter(c)) for c in per_shard.values()) == 340


def _write_rejections(client: Elasticsearch) -> int:
    stats = client.nodes.stats(metric="thread_pool").body["nodes"]
    return sum(int(n["thread_pool"]["write"]["rejected"]) for n in stats.values())


def test_bulk_back_pressure_429s_are_retried(pair_env: tuple[Settings, Elasticsearch, Store],
                                             tokenizer: Tokenizer) -> None:
    """Eight shards over two nodes whose write pool runs one task with a queue of one: a bulk
    of 500 splits into four shard requests per node, and the nodes reject some with 429; the
    backend retries the rejected items (streaming_bulk, exponential backoff from 2 s)."""
    settings, client, store = pair_env
    _template(client, settings.es_index_prefix, shards=8, replicas=0)
    records = corpus(1000)
    store.upsert(records)
    before = _write_rejections(client)
    report = elastic.sync_index(settings, KIND, store, encoder=FakeEncoder(),
                                tokenizer=tokenizer, client=client)
    rejected = _write_rejections(client) - before
    assert rejected > 0, "the nodes rejected nothing: the test did not exercise back-pressure"
    assert report.upserted == 1000 and report.notes[0].startswith("别名 ")
    index = elastic.open_index(settings, KIND, encoder=FakeEncoder(), tokenizer=tokenizer,
                               client=client)
    assert index.count() == 1000
    ids = {"ids": {"values": [r.id for r in records]}}
    found = client.search(index=index.generation, query=ids, size=1000,
                          source=False)["hits"]["hits"]
    assert {h["_id"] for h in found} == {r.id for r in records}
