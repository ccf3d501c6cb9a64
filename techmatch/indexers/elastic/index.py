"""`ElasticIndex`: the `Index` interface over one concrete Elasticsearch index (a generation)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch
from elasticsearch import NotFoundError as EsNotFound

from techmatch.errors import BackendError, IndexMissingError
from techmatch.indexers.base import Candidates, Index
from techmatch.indexers.elastic import queries
from techmatch.indexers.elastic.client import guarded, redact
from techmatch.indexers.elastic.mapping import NAMES, TOKENS, VECTOR, Identity
from techmatch.models.results import Filters

VECTOR_READ_CHUNK = 1000


class ElasticIndex(Index):
    """Reads the generation resolved at open time (the alias may move on; this handle does not).

    `applied_seq` is the store sequence recorded in the generation's mapping `_meta`.
    """

    fork_safe = False  # its HTTP connections would be shared by forked processes

    def __init__(self, client: Elasticsearch, url: str, name: str, identity: Identity,
                 meta: dict[str, Any], *, exclude_vectors_param: bool = False,
                 owns_client: bool = True) -> None:
        self.kind = identity.kind
        self._client = client
        self._url = url
        self._name = name
        self._identity = identity
        self._meta = dict(meta)
        self._exclude_vectors_param = exclude_vectors_param
        self._owns_client = owns_client

    @property
    def generation(self) -> str:
        return self._name

    @property
    def applied_seq(self) -> int:
        return int(self._meta.get("applied_seq") or 0)

    @property
    def meta(self) -> dict[str, Any]:
        """A copy of the generation's `_meta` as read at open time (or last written)."""
        return dict(self._meta)

    def count(self) -> int:
        with self._guard("count"):
            return int(self._client.count(index=self._name)["count"])

    def has(self, rid: str) -> bool:
        with self._guard("check a document"):
            return bool(self._client.exists(index=self._name, id=rid))

    def search_lexical(self, tokens: Sequence[str], *, k: int,
                       filters: Filters | None = None) -> Candidates:
        if not tokens or k <= 0:
            return _empty()
        body = queries.lexical_body(tokens, k=k, filters=filters)
        with self._guard("lexical search"):
            hits = self._client.search(index=self._name, **body)["hits"]["hits"]
        return _candidates([(h["_id"], float(h["_score"])) for h in hits])

    def search_names(self, tokens: Sequence[str], *, k: int,
                     filters: Filters | None = None) -> Candidates:
        if not tokens or k <= 0:
            return _empty()
        body = queries.lexical_body(tokens, k=k, filters=filters, field=NAMES)
        with self._guard("name search"):
            hits = self._client.search(index=self._name, **body)["hits"]["hits"]
        return _candidates([(h["_id"], float(h["_score"])) for h in hits])

    def doc_freqs(self, tokens: Sequence[str]) -> np.ndarray | None:
        """Term statistics of an artificial document holding the tokens (one shard's counts:
        the whole index, which has one shard)."""
        terms = list(dict.fromkeys(t for t in tokens if t and not t.isspace()))
        if not terms:
            return np.zeros(0, dtype=np.int64)
        with self._guard("term statistics"):
            found = self._client.termvectors(
                index=self._name, doc={TOKENS: " ".join(terms)}, fields=[TOKENS],
                term_statistics=True, field_statistics=False, positions=False, offsets=False,
                payloads=False)
        stats = found.body.get("term_vectors", {}).get(TOKENS, {}).get("terms", {})
        return np.array([int(stats.get(t, {}).get("doc_freq", 0)) for t in terms],
                        dtype=np.int64)

    def search_dense(self, vector: np.ndarray, *, k: int,
                     filters: Filters | None = None) -> Candidates:
        return self.search_dense_batch(np.asarray(vector)[None, :], k=k, filters=filters)[0]

    def search_dense_batch(self, vectors: np.ndarray, *, k: int,
                           filters: Filters | None = None) -> list[Candidates]:
        """One `msearch` round trip for all rows of `vectors` (m, dim)."""
        self._require_vectors()
        rows = np.asarray(vectors, dtype=np.float32)
        if k <= 0 or len(rows) == 0:
            return [_empty() for _ in range(len(rows))]
        searches: list[dict[str, Any]] = []
        for row in rows:
            searches += [{"index": self._name, **queries.PARTIAL},
                         queries.knn_body(row, k=k, filters=filters)]
        responses = self._msearch(searches)
        out = []
        for response in responses:
            if "error" in response:
                error = response["error"]
                reason = (error.get("reason") or error.get("type") or str(error)
                          if isinstance(error, dict) else str(error))
                raise BackendError(f"Elasticsearch {redact(self._url)}：索引 {self._name} "
                                   f"的向量检索（kNN search）失败：{reason}")
            out.append(_candidates([(h["_id"], queries.inner_product(float(h["_score"])))
                                    for h in response["hits"]["hits"]]))
        return out

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(ids), self._identity.dim), dtype=np.float32)
        if not ids or not self._identity.dense:
            return out
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Any] = {}
        for start in range(0, len(wanted), VECTOR_READ_CHUNK):
            found.update(self._read_vectors(wanted[start:start + VECTOR_READ_CHUNK]))
        for row, rid in enumerate(ids):
            if found.get(rid):
                out[row] = np.asarray(found[rid], dtype=np.float32)
        return out

    def _read_vectors(self, ids: list[str]) -> dict[str, Any]:
        src: dict[str, Any] = {"includes": [VECTOR]}
        if self._exclude_vectors_param:  # else 9.2+ may leave vectors out of _source
            src["exclude_vectors"] = False
        with self._guard("read vectors"):
            hits = self._client.search(index=self._name, query={"ids": {"values": ids}},
                                       size=len(ids), source=src)["hits"]["hits"]
        return {h["_id"]: h.get("_source", {}).get(VECTOR) for h in hits}

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _require_vectors(self) -> None:
        if not self._identity.dense:
            raise BackendError(f"Elasticsearch 索引 {self._name} 建立时没有向量（仅关键词检索）；"
                               "请在支持 dense_vector 的集群上运行 techmatch reindex")

    def _msearch(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One msearch; a shard lost with a node in the middle of a query (the copy answering
        it went away) is retried on the remaining copies, up to RETRIES times, because
        partial results are refused rather than silently shortened."""
        for attempt in range(RETRIES + 1):
            with self._guard("kNN search"):
                responses: list[dict[str, Any]] = self._client.msearch(
                    searches=searches)["responses"]
            lost = [r for r in responses if "error" in r and _node_lost(r["error"])]
            if not lost or attempt == RETRIES:
                return responses
            time.sleep(0.2 * (attempt + 1))
        return responses

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """`guarded`, plus: a vanished generation becomes IndexMissingError naming the fix."""
        try:
            with guarded(self._url, f"{what} on {self._name}"):
                yield
        except EsNotFound as exc:
            raise IndexMissingError(f"Elasticsearch 索引 {self._name} 已不存在（可能已被之后的"
                                    "重建删除）；请重新打开索引") from exc


RETRIES = 3
_NODE_LOST = ("disconnected", "node_not_connected", "NodeNotConnectedException",
              "NodeDisconnectedException", "node_closed")


def _node_lost(error: Any) -> bool:
    """Whether a search error is a shard copy that vanished with its node (transient)."""
    text = str(error)
    return any(mark in text for mark in _NODE_LOST)


def _empty() -> Candidates:
    return Candidates([], np.zeros(0, dtype=np.float32))


def _candidates(pairs: list[tuple[str, float]]) -> Candidates:
    """Order by score descending, ties by id, whatever order the cluster returned."""
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return Candidates([p[0] for p in pairs], np.array([p[1] for p in pairs], dtype=np.float32))
