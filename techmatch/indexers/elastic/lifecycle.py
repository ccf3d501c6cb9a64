"""Open, sync, reindex (zero downtime, alias swap) and roll back the index of one kind.

Readers use the alias `<prefix>_<kind>`; it points at exactly one concrete generation
`<prefix>_<kind>_v<N>`. Reindex builds v<N+1> from the store, verifies its count against the
store, then moves the alias with one atomic `update_aliases` call (remove + add). The
generation it replaced is kept for `rollback`; older ones are deleted.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from elasticsearch import Elasticsearch
from elasticsearch import NotFoundError as EsNotFound

from techmatch.config import Settings
from techmatch.errors import BackendError, ConfigError, IndexMissingError
from techmatch.indexers.base import Document, Progress
from techmatch.indexers.elastic import bulk
from techmatch.indexers.elastic.client import (
    alias_name,
    connect,
    generation_number,
    guarded,
    redact,
    server_version,
)
from techmatch.indexers.elastic.index import ElasticIndex
from techmatch.indexers.elastic.mapping import Identity, check_meta
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import KIND_LABELS
from techmatch.store import Store

ENCODE_CHUNK = 256


@dataclass
class Cluster:
    """A client plus the alias of one kind; closes the client only if it created it."""

    client: Elasticsearch
    url: str
    alias: str
    owns: bool

    def close(self) -> None:
        if self.owns:
            self.client.close()


class Swap(NamedTuple):
    """An alias move: which generation it left and which it now points at."""

    alias: str
    before: str | None
    after: str


@contextmanager
def cluster(settings: Settings, kind: str, client: Elasticsearch | None) -> Iterator[Cluster]:
    """The cluster for `kind`; `client` (tests, callers that share one) is never closed here."""
    alias = alias_name(settings, kind)
    url = redact(settings.es_url or "")
    handle = Cluster(client or connect(settings), url, alias, owns=client is None)
    try:
        yield handle
    finally:
        handle.close()


STORE_ID_KEY = "elastic.store_id"


def store_id(store: Store) -> str:
    """A random id kept in the store's meta table (created on first use) and recorded in each
    generation's `_meta`, so an index is never mistaken for another store's."""
    sid = store.get_meta(STORE_ID_KEY)
    if sid is None:
        sid = uuid.uuid4().hex
        store.set_meta(STORE_ID_KEY, sid)
    return sid


def home_label(settings: Settings) -> str:
    """`host:/absolute/home` of the running process, recorded as a generation's builder."""
    return f"{socket.gethostname()}:{Path(settings.home).resolve()}"


def owner_meta(settings: Settings, store: Store) -> dict[str, str]:
    """The `_meta` keys that say which store (and home) a generation belongs to. Servers and
    homes on one store (PostgreSQL) share its id, so they share the index too."""
    return {"store_id": store_id(store), "home": home_label(settings)}


def check_owner(cl: Cluster, settings: Settings, store: Store, kind: str, index: str,
                meta: dict[str, Any], *, searching: bool = False) -> None:
    """Refuse (ConfigError) to sync or rebuild a generation another store built: two homes on
    one prefix would otherwise each find the index stale and rebuild it from their own store,
    over and over. `searching`: refuse to open it for searches too (they would answer with
    the other home's records). A generation that names no store (built before owners were
    recorded) is taken as this store's."""
    owner = meta.get("store_id")
    ours = store_id(store)
    if owner is None or owner == ours:
        return
    prefix = settings.es_index_prefix
    raise ConfigError(
        f"Elasticsearch 索引前缀 {prefix} 已被另一个数据目录使用：{cl.alias}（当前代 {index}）"
        f"由数据目录 {meta.get('home') or '（未记录，旧版本所建）'} 建立（存储标识 {owner}），"
        f"本数据目录 {home_label(settings)}（存储标识 {ours}）"
        + ("不会用它搜索，以免搜索结果是另一个数据目录的记录。" if searching else
           "不会重建它，以免两个数据目录互相覆盖索引。")
        + f"请给每个数据目录设置各自的 TECHMATCH_ES_INDEX_PREFIX；若原数据目录已"
        f"停用，可运行 techmatch reindex --kind {kind} --take-over 由本数据目录接管该前缀 "
        f"(index prefix {prefix} belongs to another home)")


def identity_of(kind: str, encoder: Encoder, tokenizer: Tokenizer, dense: bool) -> Identity:
    return Identity(kind=kind, encoder_id=encoder.id, dim=int(encoder.dim),
                    tokenizer=tokenizer.fingerprint, dense=dense)


def _label(kind: str) -> str:
    """需求 / 成果 / 专家: what staff call an index's kind."""
    return KIND_LABELS.get(kind, kind)


def resolve(cl: Cluster) -> str | None:
    """The concrete index behind the alias, None when the alias does not exist yet."""
    try:
        with guarded(cl.url, f"resolve alias {cl.alias}"):
            names = sorted(cl.client.indices.get_alias(name=cl.alias).body)
    except EsNotFound:
        return None
    if len(names) != 1:
        raise BackendError(f"Elasticsearch {cl.url}：别名 {cl.alias} 指向 {len(names)} 个索引"
                           f"（{', '.join(names)}），应只指向一个；请用 techmatch rollback 或 "
                           f"_aliases API 修正")
    return names[0]


def generations(cl: Cluster) -> dict[str, int]:
    """Every `<alias>_v<N>` index in the cluster → N."""
    try:
        with guarded(cl.url, f"list generations of {cl.alias}"):
            found = cl.client.indices.get_alias(index=f"{cl.alias}_v*").body
    except EsNotFound:
        return {}
    out = {name: generation_number(cl.alias, name) for name in found}
    return {name: n for name, n in out.items() if n is not None}


def read_meta(cl: Cluster, index: str) -> dict[str, Any]:
    with guarded(cl.url, f"read the mapping of {index}"):
        body: dict[str, Any] = cl.client.indices.get_mapping(index=index).body
    first: dict[str, Any] = next(iter(body.values()), {})
    mappings: dict[str, Any] = first.get("mappings", {})
    return dict(mappings.get("_meta") or {})


def write_meta(cl: Cluster, index: str, meta: dict[str, Any]) -> None:
    """Replace the whole `_meta` (Elasticsearch does not merge it)."""
    with guarded(cl.url, f"update the _meta of {index}"):
        cl.client.indices.put_mapping(index=index, meta=meta)


def open_on(cl: Cluster, identity: Identity) -> ElasticIndex:
    """Handle on the generation behind the alias, refused if its `_meta` disagrees."""
    name = resolve(cl)
    if name is None:
        raise IndexMissingError(f"Elasticsearch 中还没有{_label(identity.kind)}索引（{cl.url}，"
                                f"别名 {cl.alias}）：请运行 techmatch index 建立")
    meta = read_meta(cl, name)
    check_meta(name, meta, identity)
    version = server_version(cl.client, cl.url)
    # `_source.exclude_vectors` exists from 8.19 and 9.1; 9.2+ leaves vectors out by default
    exclude_param = identity.dense and (version >= (9, 1) or (8, 19) <= version < (9, 0))
    return ElasticIndex(cl.client, cl.url, name, identity, meta,
                        exclude_vectors_param=exclude_param, owns_client=cl.owns)


def load(cl: Cluster, index: str, docs: Sequence[Document], encoder: Encoder, dense: bool,
         report: bulk.BulkReport, progress: Progress | None) -> int:
    """Encode (when the index holds vectors) and bulk-load `docs`; returns texts encoded."""
    encoded = 0
    for start in range(0, len(docs), ENCODE_CHUNK):
        chunk = docs[start:start + ENCODE_CHUNK]
        vectors = encoder.encode_passages([d.dense_text for d in chunk]) if dense else None
        encoded += len(chunk) if dense else 0
        bulk.run(cl.client, cl.url, bulk.index_actions(index, chunk, vectors), report=report)
        if progress is not None:
            progress(len(chunk))
    return encoded


def refresh(cl: Cluster, index: str) -> None:
    with guarded(cl.url, f"refresh {index}"):
        cl.client.indices.refresh(index=index)


def count(cl: Cluster, index: str) -> int:
    with guarded(cl.url, f"count {index}"):
        return int(cl.client.count(index=index)["count"])


def swap_alias(cl: Cluster, before: str | None, after: str) -> Swap:
    """Point the alias at `after` in one atomic update_aliases call (remove + add)."""
    actions: list[dict[str, Any]] = []
    if before is not None:
        actions.append({"remove": {"index": before, "alias": cl.alias}})
    actions.append({"add": {"index": after, "alias": cl.alias}})
    with guarded(cl.url, f"move alias {cl.alias} to {after}"):
        cl.client.indices.update_aliases(actions=actions)
    return Swap(cl.alias, before, after)


def elapsed(start: float) -> float:
    return round(time.perf_counter() - start, 3)


@contextmanager
def bulk_settings(cl: Cluster, index: str) -> Iterator[None]:
    """No refresh and no replicas while a new generation loads; restored afterwards."""
    with guarded(cl.url, f"read the settings of {index}"):
        current = cl.client.indices.get_settings(index=index).body
    replicas = next(iter(current.values()))["settings"]["index"].get("number_of_replicas", "1")
    _put_settings(cl, index, {"refresh_interval": "-1", "number_of_replicas": 0})
    try:
        yield
    finally:
        _put_settings(cl, index, {"refresh_interval": None, "number_of_replicas": int(replicas)})


def _put_settings(cl: Cluster, index: str, values: dict[str, Any]) -> None:
    with guarded(cl.url, f"update the settings of {index}"):
        cl.client.indices.put_settings(index=index, settings={"index": values})


def verify(cl: Cluster, index: str, store: Store, kind: str, report: bulk.BulkReport,
           read: int, target: int) -> None:
    """Refuse to swap when items failed or the new generation's count disagrees with the store."""
    if report.errors:
        raise BackendError(f"{index} 的重建在切换别名前停止（别名仍指向上一代）："
                           f"{report.summary()}")
    found = count(cl, index)
    if found != read:
        raise BackendError(f"{index} 的重建：索引中有 {found} 条文档，但从存储读取了 {read} 条"
                           f"{_label(kind)}记录；别名未切换")
    if store.last_seq(kind) == target and store.count(kind) != found:
        raise BackendError(f"{index} 的重建：索引中有 {found} 条文档，但存储中有 "
                           f"{store.count(kind)} 条{_label(kind)}记录；别名未切换")


def drop(cl: Cluster, index: str) -> None:
    """Delete a half-built generation; failures here must not hide the original error."""
    try:
        with guarded(cl.url, f"delete {index}"):
            cl.client.indices.delete(index=index)
    except (BackendError, EsNotFound):
        pass


def prune(cl: Cluster, keep: set[str | None]) -> list[str]:
    """Delete generations other than `keep` (the new one and the one kept for rollback)."""
    doomed = sorted(name for name in generations(cl) if name not in keep)
    for name in doomed:
        with guarded(cl.url, f"delete old generation {name}"):
            cl.client.indices.delete(index=name)
    return doomed
