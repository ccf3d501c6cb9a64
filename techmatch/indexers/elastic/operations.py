"""The backend's public operations, named as the factory calls them for every backend.

`client` (keyword-only) lets a caller share one client or inject a test transport; `dense=False`
builds lexical-only indexes for clusters without `dense_vector` (the osmem test emulator).
"""

from __future__ import annotations

import time

from elasticsearch import Elasticsearch

from techmatch.config import Settings
from techmatch.errors import ConfigError, IndexMismatchError, IndexMissingError, NotFoundError
from techmatch.indexers.base import UP_TO_DATE, Progress, SyncReport, to_document
from techmatch.indexers.elastic import bulk
from techmatch.indexers.elastic.client import (
    alias_name,
    connect,
    guarded,
    redact,
    shared_client,
)
from techmatch.indexers.elastic.index import ElasticIndex
from techmatch.indexers.elastic.lifecycle import (
    Cluster,
    Swap,
    bulk_settings,
    check_owner,
    cluster,
    drop,
    elapsed,
    generations,
    identity_of,
    load,
    open_on,
    owner_meta,
    prune,
    read_meta,
    refresh,
    resolve,
    swap_alias,
    verify,
    write_meta,
)
from techmatch.indexers.elastic.mapping import Identity, check_meta, index_body
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import KIND_LABELS
from techmatch.store import Store


def open_index(settings: Settings, kind: str, *, encoder: Encoder, tokenizer: Tokenizer,
               client: Elasticsearch | None = None, dense: bool = True,
               store: Store | None = None) -> ElasticIndex:
    """Handle on the generation behind `<prefix>_<kind>`; the handle owns a client it made.

    With `store` (a home opening its index to search it), a generation another store built
    is refused (`check_owner`: ConfigError, exit 5): its searches would answer with the
    other home's records. Homes on one store (PostgreSQL) share its id and the index."""
    alias = alias_name(settings, kind)
    cl = Cluster(client or connect(settings), redact(settings.es_url or ""), alias,
                 owns=client is None)
    try:
        index = open_on(cl, identity_of(kind, encoder, tokenizer, dense))
        if store is not None:
            check_owner(cl, settings, store, kind, index.generation, index.meta,
                        searching=True)
        return index
    except BaseException:
        cl.close()
        raise


def current_generation(settings: Settings, kind: str, *,
                       client: Elasticsearch | None = None) -> str | None:
    """Concrete index name behind the alias, None before the first build (one request on a
    shared client: servers call this before every search)."""
    with cluster(settings, kind, client or shared_client(settings)) as cl:
        return resolve(cl)


def sync_index(settings: Settings, kind: str, store: Store, *, encoder: Encoder,
               tokenizer: Tokenizer, full: bool = False, progress: Progress | None = None,
               client: Elasticsearch | None = None, dense: bool = True) -> SyncReport:
    """Apply store changes since the generation's `applied_seq`. A first or `full` sync, or
    one over a generation built with another encoder/tokenizer, is a zero-downtime reindex.

    A generation another store built (another home on the same prefix) is neither synced nor
    rebuilt: ConfigError naming the prefix and the home that owns it (`check_owner`)."""
    identity = identity_of(kind, encoder, tokenizer, dense)
    with cluster(settings, kind, client) as cl:
        index, why = None, ""
        current = resolve(cl)
        if current is not None:
            check_owner(cl, settings, store, kind, current, read_meta(cl, current))
        if not full and current is not None:
            try:
                index = open_on(Cluster(cl.client, cl.url, cl.alias, owns=False), identity)
            except IndexMismatchError as exc:
                why = f"已完整重建：{exc}"
        owner = owner_meta(settings, store)
        if index is None:
            report = _reindex(cl, store, identity, encoder, tokenizer, progress, owner,
                              exact_max=settings.dense_exact_max)
            report.notes[:0] = [why] if why else []
            return report
        return _apply_changes(cl, store, index, identity, encoder, tokenizer, progress, owner)


def reindex(settings: Settings, kind: str, store: Store, *, encoder: Encoder,
            tokenizer: Tokenizer, progress: Progress | None = None,
            client: Elasticsearch | None = None, dense: bool = True,
            take_over: bool = False) -> SyncReport:
    """Build `<alias>_v<N+1>` from the store, verify counts, swap the alias atomically.

    Refused when another store built the current generation, unless `take_over`: this store
    then rebuilds the prefix's index and owns it from now on (the other home is refused)."""
    with cluster(settings, kind, client) as cl:
        notes: list[str] = []
        current = resolve(cl)
        if current is not None:
            meta = read_meta(cl, current)
            try:
                check_owner(cl, settings, store, kind, current, meta)
            except ConfigError:
                if not take_over:
                    raise
                notes.append(f"接管索引前缀 {settings.es_index_prefix}：{current} 原由数据目录 "
                             f"{meta.get('home') or '（未记录）'} 建立（存储标识 "
                             f"{meta.get('store_id')}）")
        report = _reindex(cl, store, identity_of(kind, encoder, tokenizer, dense), encoder,
                          tokenizer, progress, owner_meta(settings, store),
                          exact_max=settings.dense_exact_max)
        report.notes[:0] = notes
        return report


def rollback(settings: Settings, kind: str, *, client: Elasticsearch | None = None,
             encoder: Encoder | None = None, tokenizer: Tokenizer | None = None,
             dense: bool = True) -> Swap:
    """Point the alias back at the generation the last reindex replaced. Given the running
    encoder and tokenizer, refuse a generation they cannot read (built by another version):
    moving the alias there would fail every search until the next reindex."""
    with cluster(settings, kind, client) as cl:
        current = resolve(cl)
        if current is None:
            raise IndexMissingError(f"Elasticsearch 中没有{KIND_LABELS.get(kind, kind)}索引"
                                    f"（{cl.url}，别名 {cl.alias}）：没有可回滚的版本")
        previous = read_meta(cl, current).get("previous")
        if not previous or previous not in generations(cl):
            what = (f"记录的上一代 {previous} 已不存在（只保留当前和上一代）" if previous
                    else "没有记录上一代（它不是由重建产生的）")
            raise NotFoundError(f"{current} 没有可回滚的上一代：{what}；请改为运行 "
                                f"techmatch reindex --kind {kind}")
        if encoder is not None and tokenizer is not None:
            _check_readable(cl, str(previous), identity_of(kind, encoder, tokenizer, dense))
        return swap_alias(cl, current, str(previous))


def _check_readable(cl: Cluster, name: str, identity: Identity) -> None:
    try:
        check_meta(name, read_meta(cl, name), identity)
    except IndexMismatchError as exc:
        raise IndexMismatchError(f"未回滚：{cl.alias} 仍指向当前代；上一代 {name} 由其他配置"
                                 f"构建，当前版本无法读取（{exc}）") from exc


def _reindex(cl: Cluster, store: Store, identity: Identity, encoder: Encoder,
             tokenizer: Tokenizer, progress: Progress | None, owner: dict[str, str], *,
             exact_max: int) -> SyncReport:
    """Exact vectors when the store holds at most `exact_max` records of the kind (decided
    here, per generation: an index that grows past it by syncs goes HNSW at the next reindex)."""
    start = time.perf_counter()
    before = resolve(cl)
    known = generations(cl)
    name = f"{cl.alias}_v{max(known.values(), default=0) + 1}"
    with guarded(cl.url, f"create index {name}"):
        body = index_body(identity, previous=before,
                          exact=store.count(identity.kind) <= exact_max)
        cl.client.indices.create(index=name, **body)
    target = store.last_seq(identity.kind)
    report, encoded, read = bulk.BulkReport(), 0, 0
    try:
        with bulk_settings(cl, name):
            batch = []
            for record in store.iter_records(identity.kind):
                batch.append(to_document(record, tokenizer))
                if len(batch) >= bulk.CHUNK:
                    encoded += load(cl, name, batch, encoder, identity.dense, report, progress)
                    read, batch = read + len(batch), []
            encoded += load(cl, name, batch, encoder, identity.dense, report, progress)
            read += len(batch)
        refresh(cl, name)
        verify(cl, name, store, identity.kind, report, read, target)
    except BaseException:
        drop(cl, name)
        raise
    meta = {**body["mappings"]["_meta"], **identity.meta(applied_seq=target, previous=before),
            **owner}
    write_meta(cl, name, meta)
    swap = swap_alias(cl, before, name)
    notes = [f"别名 {swap.alias}：{swap.before or '（无）'} → {swap.after}"]
    notes += [f"已删除旧版本索引 {old}" for old in prune(cl, keep={name, before})]
    return SyncReport(kind=identity.kind, upserted=len(report.indexed), encoded=encoded,
                      applied_seq=target, generation=name, full=True,
                      seconds=elapsed(start), notes=notes)


def _apply_changes(cl: Cluster, store: Store, index: ElasticIndex, identity: Identity,
                   encoder: Encoder, tokenizer: Tokenizer, progress: Progress | None,
                   owner: dict[str, str]) -> SyncReport:
    """Incremental sync; a failed item holds `applied_seq` back so the next sync retries it."""
    start = time.perf_counter()
    name = index.generation
    changes = store.changes_since(index.applied_seq, identity.kind)
    if not changes:
        if index.meta.get("store_id") is None:  # built before owners were recorded: claim it
            write_meta(cl, name, {**index.meta, **owner})
        return SyncReport(kind=identity.kind, applied_seq=index.applied_seq, generation=name,
                          seconds=elapsed(start),
                          notes=[UP_TO_DATE])
    records = store.get_many(c.id for c in changes if c.op == "upsert")
    docs = [to_document(r, tokenizer) for r in records.values() if r.kind == identity.kind]
    gone = [c.id for c in changes if c.id not in records]
    report = bulk.BulkReport()
    encoded = load(cl, name, docs, encoder, identity.dense, report, progress)
    bulk.run(cl.client, cl.url, bulk.delete_actions(name, gone), report=report)
    refresh(cl, name)
    target, notes = max(c.seq for c in changes), []
    if report.errors:
        failed = {rid for rid, _, _ in report.errors}
        target = min(c.seq for c in changes if c.id in failed) - 1
        notes.append(report.summary() + "；下次同步时重试")
    write_meta(cl, name, {**index.meta, "applied_seq": target, **owner})
    return SyncReport(kind=identity.kind, upserted=len(report.indexed),
                      deleted=len(report.deleted), encoded=encoded, applied_seq=target,
                      generation=name, seconds=elapsed(start), notes=notes)
