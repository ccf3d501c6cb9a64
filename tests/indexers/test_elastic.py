"""Elasticsearch backend specifics, on a real Elasticsearch 9.x node (tests/services/).

Covers what the shared contract does not: mapping and `_meta`, bulk per-item errors and
retries, query bodies, alias swap in one call, reindex → rollback end to end, verification
before the swap, error messages for an unreachable cluster and an incompatible index, and the
CLI (ingest → search → delete → reindex → rollback). Failures a healthy node never produces on
demand (one bad item in a reindex) are injected by a transport node (`es_node.faulty_node`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import FakeEncoder, contract_records  # noqa: E402
from es_node import Recorder, drop_prefix, faulty_node, unique_prefix  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.errors import (  # noqa: E402
    BackendError,
    IndexMismatchError,
    IndexMissingError,
    NotFoundError,
    ValidationError,
)
from techmatch.indexers import elastic  # noqa: E402
from techmatch.indexers.base import Document  # noqa: E402
from techmatch.indexers.elastic import bulk, queries  # noqa: E402
from techmatch.indexers.elastic.client import alias_name, guarded  # noqa: E402
from techmatch.indexers.tokenize import Tokenizer  # noqa: E402
from techmatch.models.records import KIND_LABELS, Achievement  # noqa: E402
from techmatch.models.results import Filters  # noqa: E402
from techmatch.store import Store  # noqa: E402

KIND = "achievement"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def settings(tmp_path: Path, es_url: str) -> Settings:
    return Settings(home=tmp_path, backend="elasticsearch", threads=1, es_url=es_url,
                    es_index_prefix=unique_prefix())


@pytest.fixture
def client(settings: Settings, recorder: Recorder) -> Iterator[Elasticsearch]:
    es = elastic.connect(settings, node_class=faulty_node(recorder))
    yield es
    drop_prefix(es, settings.es_index_prefix)
    es.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store.sqlite")
    s.upsert(contract_records())
    yield s
    s.close()


@pytest.fixture
def opts(client: Elasticsearch, tokenizer: Tokenizer) -> dict[str, Any]:
    return {"encoder": FakeEncoder(), "tokenizer": tokenizer, "client": client}


def test_mapping_whitespace_tokens_keyword_facets_and_meta(settings: Settings, store: Store,
                                                           client: Elasticsearch,
                                                           opts: dict[str, Any]) -> None:
    report = elastic.sync_index(settings, KIND, store, **opts)
    name = f"{settings.es_index_prefix}_{KIND}_v1"
    assert report.generation == name and report.upserted == 12 and report.full
    mapping = client.indices.get_mapping(index=name)[name]["mappings"]
    props = mapping["properties"]
    assert props["tokens"]["type"] == "text" and props["tokens"]["analyzer"] == "whitespace"
    assert {props[f]["type"] for f in ("province", "city", "industry", "type")} == {"keyword"}
    assert mapping["dynamic"] == "strict"
    meta = mapping["_meta"]
    assert (meta["encoder_id"], meta["dim"]) == ("fake-hash-16", 16)
    assert meta["tokenizer"] == opts["tokenizer"].fingerprint
    assert meta["applied_seq"] == store.last_seq(KIND) and meta["previous"] is None
    # 12 records <= TECHMATCH_DENSE_EXACT_MAX: exact kNN (no graph), recorded in _meta
    assert props["vector"]["index_options"] == {"type": "flat"}
    assert meta["vector_index"] == "flat" and props["vector"]["similarity"] == "dot_product"
    analyzed = client.indices.analyze(index=name, field="tokens", text="锂电池 正极材料 Li-ion")
    assert [t["token"] for t in analyzed["tokens"]] == ["锂电池", "正极材料", "Li-ion"]


def test_bulk_reports_bad_items_and_loads_the_rest(settings: Settings, store: Store,
                                                   client: Elasticsearch,
                                                   opts: dict[str, Any]) -> None:
    elastic.sync_index(settings, KIND, store, **opts)
    name = elastic.current_generation(settings, KIND, client=client)
    assert name is not None
    good = [Document(id=f"ok-{i}", kind=KIND, tokens=["好"], dense_text="好",
                     facets={"city": ("苏州",)}) for i in range(3)]
    actions = list(bulk.index_actions(name, good, None))
    actions.insert(1, {"_index": name, "_id": "bad-field", "_source": {"id": "x", "nope": 1}})
    actions.append({"_index": name, "_id": "bad-type", "_source": {"city": {"a": 1}}})
    report = bulk.run(client, settings.es_url or "", actions, initial_backoff=0.01)
    client.indices.refresh(index=name)
    assert sorted(report.indexed) == ["ok-0", "ok-1", "ok-2"]
    assert sorted(rid for rid, _, _ in report.errors) == ["bad-field", "bad-type"]
    assert all(status == 400 for _, status, _ in report.errors)
    assert "strict_dynamic_mapping_exception" in report.summary()
    assert client.count(index=name)["count"] == 12 + 3


def test_bulk_retries_rejected_items_with_backoff(settings: Settings, store: Store,
                                                  client: Elasticsearch, recorder: Recorder,
                                                  opts: dict[str, Any]) -> None:
    elastic.sync_index(settings, KIND, store, **opts)
    name = f"{settings.es_index_prefix}_{KIND}_v1"
    docs = [Document(id="retry-me", kind=KIND, tokens=["重试"], dense_text="重试", facets={})]
    recorder.fail_bulk = [(429, "es_rejected_execution_exception")]
    vectors = FakeEncoder().encode_passages(["重试"])
    before = recorder.count("/_bulk")
    report = bulk.run(client, settings.es_url or "", bulk.index_actions(name, docs, vectors),
                      initial_backoff=0.01)
    sent = recorder.count("/_bulk") - before
    assert report.indexed == ["retry-me"] and report.errors == [] and sent == 2
    client.indices.refresh(index=name)
    assert client.exists(index=name, id="retry-me")


def test_query_bodies_never_use_a_query_parser() -> None:
    hostile = ['title:x OR *', '"unterminated', 'a AND (b', '\\', '{"script": 1}', '*:*']
    body = queries.lexical_body(hostile, k=5, filters=Filters(city=['苏州" OR 1=1']))
    text = json.dumps(body, ensure_ascii=False)
    assert "query_string" not in text and "simple_query_string" not in text
    match = body["query"]["bool"]["must"][0]["match"]["tokens"]
    assert match == {"query": " ".join(hostile), "operator": "or"}
    assert body["query"]["bool"]["filter"] == [{"terms": {"city": ['苏州" or 1=1']}}]
    assert body["allow_partial_search_results"] is False  # never a silently shorter ranking
    knn = queries.knn_body(FakeEncoder().encode_queries(["x"])[0], k=3,
                           filters=Filters(city=["苏州"], exclude_ids=["a"]))
    assert knn["knn"]["filter"] == {"bool": {"filter": [{"terms": {"city": ["苏州"]}}],
                                             "must_not": [{"ids": {"values": ["a"]}}]}}


def test_hostile_text_searches_without_error(settings: Settings, store: Store,
                                             opts: dict[str, Any]) -> None:
    elastic.sync_index(settings, KIND, store, **opts)
    index = elastic.open_index(settings, KIND, **opts)
    for text in ['title:x OR *', '"', 'a AND (b', '\\', '*:*', '锂电池 OR 光伏']:
        found = index.search_lexical(opts["tokenizer"].tokens(text), k=5)
        assert len(found.ids) <= 5
    assert index.search_lexical(["*:*"], k=5).ids == []


def test_ingest_search_delete_reindex_rollback(settings: Settings, store: Store,
                                               client: Elasticsearch, recorder: Recorder,
                                               opts: dict[str, Any]) -> None:
    prefix, tokens = settings.es_index_prefix, opts["tokenizer"].tokens("锂电池 正极材料")
    elastic.sync_index(settings, KIND, store, **opts)
    v1 = elastic.open_index(settings, KIND, **opts)
    assert v1.generation == f"{prefix}_{KIND}_v1"
    assert v1.search_lexical(tokens, k=3).ids == ["su-00", "su-01", "su-02"]
    store.delete("su-00")
    inc = elastic.sync_index(settings, KIND, store, **opts)
    assert (inc.deleted, inc.full, inc.generation) == (1, False, v1.generation)
    assert v1.search_lexical(tokens, k=3).ids == ["su-01", "su-02", "su-03"]
    store.upsert([Achievement(id="new-1", title="锂电池 正极材料 正极材料 锂电池", city="苏州")])
    report = elastic.reindex(settings, KIND, store, **opts)
    v2 = f"{prefix}_{KIND}_v2"
    assert report.generation == v2 and report.upserted == 12
    assert elastic.current_generation(settings, KIND, client=client) == v2
    assert set(client.indices.get_alias(name=f"{prefix}_{KIND}").body) == {v2}
    assert client.indices.exists(index=v1.generation)  # kept for rollback
    fresh = elastic.open_index(settings, KIND, **opts)
    assert fresh.search_lexical(tokens, k=1).ids == ["new-1"] and fresh.count() == 12
    assert v1.search_lexical(tokens, k=1).ids == ["su-01"]  # old handle keeps its generation
    swap = elastic.rollback(settings, KIND, client=client)
    assert (swap.before, swap.after) == (v2, v1.generation)
    assert elastic.current_generation(settings, KIND, client=client) == v1.generation
    back = elastic.open_index(settings, KIND, **opts)
    assert back.count() == 11 and not back.has("new-1")
    # the swap was one atomic update_aliases call: remove + add
    bodies = [json.loads(b or b"{}") for m, t, b in recorder.requests if t == "/_aliases"]
    assert bodies[-1] == {"actions": [{"remove": {"index": v2, "alias": f"{prefix}_{KIND}"}},
                                      {"add": {"index": v1.generation,
                                               "alias": f"{prefix}_{KIND}"}}]}
    # catch-up after rollback: the next sync applies what v1 has not seen
    assert elastic.sync_index(settings, KIND, store, **opts).upserted == 1
    assert back.search_lexical(tokens, k=1).ids == ["new-1"]


def test_reindex_prunes_all_but_current_and_previous(settings: Settings, store: Store,
                                                     client: Elasticsearch,
                                                     opts: dict[str, Any]) -> None:
    reports = [elastic.reindex(settings, KIND, store, **opts) for _ in range(3)]
    prefix = settings.es_index_prefix
    alias, (v1, v2, v3) = f"{prefix}_{KIND}", (f"{prefix}_{KIND}_v{n}" for n in (1, 2, 3))
    # the reports staff read (techmatch reindex) say it in Chinese: no 'alias … -> …',
    # 'deleted old generation …' nor 'up to date: …'
    assert reports[0].notes == [f"别名 {alias}：（无） → {v1}"]
    assert reports[2].notes == [f"别名 {alias}：{v2} → {v3}", f"已删除旧版本索引 {v1}"]
    assert elastic.sync_index(settings, KIND, store, **opts).notes == [
        "已是最新：当前索引版本建立后存储中没有变化"]
    assert sorted(client.indices.get_alias(index=f"{prefix}_*").body) == [
        f"{prefix}_{KIND}_v2", f"{prefix}_{KIND}_v3"]
    assert elastic.rollback(settings, KIND, client=client).after == f"{prefix}_{KIND}_v2"
    with pytest.raises(NotFoundError) as refused:
        elastic.rollback(settings, KIND, client=client)  # v1 was pruned
    assert str(refused.value) == (
        f"{v2} 没有可回滚的上一代：记录的上一代 {v1} 已不存在（只保留当前和上一代）；"
        f"请改为运行 techmatch reindex --kind {KIND}")


def test_failed_items_stop_reindex_before_the_swap(settings: Settings, store: Store,
                                                   client: Elasticsearch, recorder: Recorder,
                                                   opts: dict[str, Any]) -> None:
    elastic.sync_index(settings, KIND, store, **opts)
    recorder.fail_bulk = [(400, "mapper_parsing_exception")]
    with pytest.raises(BackendError, match="在切换别名前停止.*1 条文档写入失败.*mapper_parsing"):
        elastic.reindex(settings, KIND, store, **opts)
    prefix = settings.es_index_prefix
    assert elastic.current_generation(settings, KIND, client=client) == f"{prefix}_{KIND}_v1"
    assert sorted(client.indices.get_alias(index=f"{prefix}_*").body) == [f"{prefix}_{KIND}_v1"]


def test_failed_item_in_sync_is_retried_next_time(settings: Settings, store: Store,
                                                  recorder: Recorder,
                                                  opts: dict[str, Any]) -> None:
    elastic.sync_index(settings, KIND, store, **opts)
    seq = store.last_seq(KIND)
    store.upsert([Achievement(id="late-1", title="钠离子电池", city="苏州")])
    recorder.fail_bulk = [(400, "mapper_parsing_exception")]
    first = elastic.sync_index(settings, KIND, store, **opts)
    assert first.applied_seq == seq and "late-1" in first.notes[0]
    second = elastic.sync_index(settings, KIND, store, **opts)
    assert second.upserted == 1 and second.applied_seq == store.last_seq(KIND)
    assert elastic.open_index(settings, KIND, **opts).has("late-1")


def test_unreachable_cluster_names_url_and_cause(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, backend="elasticsearch",
                        es_url="http://alice:s3cret@127.0.0.1:9")
    with pytest.raises(BackendError) as err:
        elastic.connect(settings)
    message = str(err.value)
    assert "http://127.0.0.1:9" in message and "unreachable" in message
    assert "Connection refused" in message and "s3cret" not in message
    assert message.startswith("无法连接 Elasticsearch http://127.0.0.1:9"), message  # zh-CN


def test_unknown_kind_is_a_bad_option_as_on_the_embedded_backend(tmp_path: Path) -> None:
    """`techmatch index/reindex/rollback --kind bogus` exited 5 (configuration) on
    Elasticsearch and 2 (bad option, field 'kind') on the embedded backend."""
    settings = Settings(home=tmp_path, backend="elasticsearch", es_url="http://127.0.0.1:9")
    with pytest.raises(ValidationError) as err:
        alias_name(settings, "bogus")
    assert err.value.field == "kind" and "未知记录类型 bogus（可选：need（需求）" in str(err.value)


def test_failed_request_says_so_in_chinese_with_status_and_reason(settings: Settings) -> None:
    """An operator reads what failed in Chinese; the HTTP status and the cluster's reason stay."""
    es = Elasticsearch(settings.es_url)
    try:
        with pytest.raises(BackendError) as err, guarded(settings.es_url or "", "create X"):
            es.indices.create(index="Not_Lowercase")  # HTTP 400 invalid_index_name_exception
    finally:
        es.close()
    message = str(err.value)
    assert message.startswith(
        f"Elasticsearch {settings.es_url} 请求失败（create X，HTTP 400）"), message
    assert "invalid_index_name_exception" in message


def test_missing_index_and_incompatible_meta(settings: Settings, store: Store,
                                             opts: dict[str, Any]) -> None:
    with pytest.raises(IndexMissingError, match="techmatch index") as missing:
        elastic.open_index(settings, KIND, **opts)
    assert str(missing.value).startswith(f"Elasticsearch 中还没有{KIND_LABELS[KIND]}索引（")
    elastic.sync_index(settings, KIND, store, **opts)

    class OtherEncoder(FakeEncoder):
        id, dim = "other-encoder", 32

    with pytest.raises(IndexMismatchError) as err:
        elastic.open_index(settings, KIND, **{**opts, "encoder": OtherEncoder()})
    message = str(err.value)
    assert "'fake-hash-16'" in message and "'other-encoder'" in message
    assert "向量维数在索引中为 16" in message and "techmatch reindex --kind achievement" in message
    report = elastic.sync_index(settings, KIND, store, **{**opts, "encoder": OtherEncoder()})
    assert report.full and report.notes[0].startswith("已完整重建：")
    assert report.generation.endswith("_v2")


def test_generation_of_the_single_valued_facet_format_is_refused_then_rebuilt(
        settings: Settings, store: Store, client: Elasticsearch, opts: dict[str, Any]) -> None:
    """A generation from before facets held every value (`_meta.schema_version` 1: an
    expert's facets were one keyword each) is refused on open and rebuilt by the next sync."""
    report = elastic.sync_index(settings, KIND, store, **opts)
    meta = client.indices.get_mapping(index=report.generation)[report.generation][
        "mappings"]["_meta"]
    client.indices.put_mapping(index=report.generation, meta={**meta, "schema_version": 1})
    with pytest.raises(IndexMismatchError) as err:
        elastic.open_index(settings, KIND, **opts)
    assert "结构版本在索引中为 1" in str(err.value)
    assert f"techmatch reindex --kind {KIND}" in str(err.value)
    again = elastic.sync_index(settings, KIND, store, **opts)
    assert again.full and again.generation.endswith("_v2")
    assert again.notes[0].startswith("已完整重建：") and "结构版本" in again.notes[0]
    assert elastic.open_index(settings, KIND, **opts).count() == 12


def test_rollback_refuses_a_generation_the_running_version_cannot_read(
        settings: Settings, store: Store, client: Elasticsearch, opts: dict[str, Any]) -> None:
    """After an upgrade rebuilt the index (another encoder), `techmatch rollback` moved every
    reader onto the old generation, which the running version then refused on every search;
    it now refuses to move the alias and says why."""

    class NewEncoder(FakeEncoder):
        id, dim = "new-encoder", 32

    old = elastic.sync_index(settings, KIND, store, **opts).generation
    new = elastic.reindex(settings, KIND, store, **{**opts, "encoder": NewEncoder()}).generation
    with pytest.raises(IndexMismatchError) as err:
        elastic.rollback(settings, KIND, client=client, encoder=NewEncoder(),
                         tokenizer=opts["tokenizer"])
    message = str(err.value)
    assert old in message and "'fake-hash-16'" in message and "'new-encoder'" in message
    assert message.startswith(f"未回滚：{settings.es_index_prefix}_{KIND} 仍指向当前代；上一代 "
                              f"{old} 由其他配置构建，当前版本无法读取（Elasticsearch 索引 {old} ")
    assert "rollback refused" not in message
    alias = f"{settings.es_index_prefix}_{KIND}"
    assert sorted(client.indices.get_alias(name=alias).body) == [new]  # alias not moved
    # the version that built the old generation may roll back to it
    swap = elastic.rollback(settings, KIND, client=client, **{k: v for k, v in opts.items()
                                                             if k != "client"})
    assert swap.after == old
    assert sorted(client.indices.get_alias(name=alias).body) == [old]


def test_lexical_only_index_refuses_dense_search(settings: Settings, store: Store,
                                                 opts: dict[str, Any]) -> None:
    lexical = {**opts, "dense": False}
    elastic.sync_index(settings, KIND, store, **lexical)
    index = elastic.open_index(settings, KIND, **lexical)
    with pytest.raises(BackendError, match="建立时没有向量（仅关键词检索）"):
        index.search_dense(FakeEncoder().encode_queries(["锂电池"])[0], k=3)
    assert not index.vectors(["su-01"]).any()
    assert index.search_lexical(opts["tokenizer"].tokens("锂电池"), k=1).ids == ["su-00"]


def test_cli_ingest_search_delete_reindex_rollback(tmp_path: Path, es_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI end to end on the real node, hybrid search (BM25 + kNN) included."""
    from typer.testing import CliRunner

    from techmatch.cli import app
    from techmatch.indexers import vector_cache as encoder_module

    prefix, home = unique_prefix(), tmp_path / "home"
    for key, value in {"BACKEND": "elasticsearch", "ES_URL": es_url, "HOME": str(home),
                       "ES_INDEX_PREFIX": prefix, "THREADS": "1"}.items():
        monkeypatch.setenv(f"TECHMATCH_{key}", value)
    monkeypatch.setattr(encoder_module, "build_encoder", lambda *a, **k: FakeEncoder())
    source = tmp_path / "achievements.jsonl"
    source.write_text("".join(json.dumps(r.model_dump(mode="json", exclude_none=True),
                                         ensure_ascii=False) + "\n"
                              for r in contract_records()), encoding="utf-8")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    def search_ids(mode: str) -> list[str]:
        out = run("search", "锂电池 正极材料", "--kind", KIND, "-k", "12", "--mode", mode,
                  "--json")
        return [hit["id"] for hit in json.loads(out)["hits"]]

    try:
        ingested = json.loads(run("ingest", str(source), "--kind", KIND, "--json"))
        assert ingested["index"]["generation"] == f"{prefix}_{KIND}_v1"
        assert ingested["index"]["upserted"] == 12
        lexical = search_ids("lexical")
        assert set(lexical[:8]) == {f"su-{i:02d}" for i in range(8)}
        hybrid = search_ids("hybrid")
        assert len(hybrid) == 12 and set(hybrid) == {r.id for r in contract_records()}
        assert "已删除成果 su-00" in run("delete", "su-00")
        assert "su-00" not in search_ids("hybrid") and len(search_ids("dense")) == 11
        for expected in ("v2", "v3"):
            report = json.loads(run("reindex", "--kind", KIND, "--json"))["reindex"][0]
            assert report["generation"] == f"{prefix}_{KIND}_{expected}"
            assert report["upserted"] == 11
        assert f"{prefix}_{KIND}_v3 → {prefix}_{KIND}_v2" in run("rollback", "--kind", KIND)
        assert set(search_ids("hybrid")) == {r.id for r in contract_records()} - {"su-00"}
    finally:
        es = elastic.connect(Settings(es_url=es_url))
        drop_prefix(es, prefix)
        es.close()


def test_dense_mapping_body() -> None:
    """Pure function: the vector mapping (the contract's dense tests run it on the node)."""
    from techmatch.indexers.elastic.mapping import Identity, index_body

    body = index_body(Identity(KIND, "e5-small", 384, "abc"), previous="p_v1")
    vector = body["mappings"]["properties"]["vector"]
    assert vector["type"] == "dense_vector" and vector["dims"] == 384 and vector["index"]
    assert vector["similarity"] == "dot_product" and vector["index_options"]["type"] == "hnsw"
    assert body["mappings"]["_meta"]["previous"] == "p_v1"
    assert body["mappings"]["_meta"]["vector_index"] == "hnsw"
    exact = index_body(Identity(KIND, "e5-small", 384, "abc"), previous=None, exact=True)
    assert exact["mappings"]["properties"]["vector"]["index_options"] == {"type": "flat"}
    assert "number_of_shards" not in json.dumps(body)  # left to index templates


class _StubClient:
    """Returns a canned msearch answer and records the request (parsing test, no cluster)."""

    def __init__(self, responses: list[dict[str, Any]]) -> None:
        self.responses = responses
        self.searches: list[dict[str, Any]] = []

    def msearch(self, *, searches: list[dict[str, Any]]) -> dict[str, Any]:
        self.searches = searches
        return {"responses": self.responses}


def test_knn_response_parsing_scores_and_ties() -> None:
    from techmatch.indexers.elastic.index import ElasticIndex
    from techmatch.indexers.elastic.mapping import Identity

    hits = [{"_id": "b", "_score": 0.9}, {"_id": "a", "_score": 0.9}, {"_id": "c", "_score": 0.5}]
    stub = _StubClient([{"hits": {"hits": hits}}, {"error": {"type": "boom"}}])
    index = ElasticIndex(stub, "http://elastic:pw@es", "p_v1", Identity(KIND, "fake", 16, "t"),  # type: ignore[arg-type]
                         {"applied_seq": 7})
    queries_ = FakeEncoder().encode_queries(["x", "y"])
    with pytest.raises(BackendError) as failed:
        index.search_dense_batch(queries_, k=3, filters=Filters(city=["苏州"]))
    # it said "Elasticsearch at http://elastic:pw@es: kNN search on p_v1 failed: {'type': 'boom'}"
    assert str(failed.value) == ("Elasticsearch http://es：索引 p_v1 的向量检索"
                                 "（kNN search）失败：boom")
    assert stub.searches[0] == {"index": "p_v1", "allow_partial_search_results": False}
    assert stub.searches[1]["knn"]["filter"]["bool"]["filter"] == [{"terms": {"city": ["苏州"]}}]
    stub.responses = stub.responses[:1]
    found = index.search_dense(queries_[0], k=3)
    assert found.ids == ["a", "b", "c"]  # equal scores ordered by id
    assert [round(float(s), 4) for s in found.scores] == [0.8, 0.8, 0.0]  # 2 * score - 1
    assert index.applied_seq == 7 and index.generation == "p_v1"
