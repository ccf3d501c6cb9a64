"""Bulk ingest: documents (+ vectors) → bulk actions, per-item errors, retries with backoff."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch, helpers

from techmatch.indexers.base import Document
from techmatch.indexers.elastic.client import RETRY_STATUSES, guarded
from techmatch.indexers.elastic.mapping import ID, NAMES, TOKENS, VECTOR

CHUNK = 500
MAX_RETRIES = 4
INITIAL_BACKOFF = 2.0  # seconds; doubles per retry of the same chunk
MAX_BACKOFF = 60.0


@dataclass
class BulkReport:
    """Outcome of one bulk run: ids applied and (id, status, reason) for every failed item."""

    indexed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[tuple[str, int, str]] = field(default_factory=list)

    def summary(self, limit: int = 5) -> str:
        shown = "；".join(f"{rid}（HTTP {status}）：{reason}"
                          for rid, status, reason in self.errors[:limit])
        more = f"；另有 {len(self.errors) - limit} 条" if len(self.errors) > limit else ""
        return f"{len(self.errors)} 条文档写入失败：{shown}{more}"


def source(doc: Document, vector: np.ndarray | None) -> dict[str, Any]:
    """The `_source` of one document: a facet's values as a keyword array (a `terms` filter
    matches any of them); facets without a value are left out."""
    body: dict[str, Any] = {ID: doc.id, TOKENS: " ".join(doc.tokens)}
    body.update({name: list(values) for name, values in doc.facets.items() if values})
    if doc.names:
        body[NAMES] = " ".join(doc.names)
    if vector is not None:
        body[VECTOR] = [float(x) for x in vector]
    return body


def index_actions(index: str, docs: Sequence[Document],
                  vectors: np.ndarray | None) -> Iterator[dict[str, Any]]:
    """`index` actions; `vectors` is (len(docs), dim) float32 or None (lexical-only index)."""
    for row, doc in enumerate(docs):
        vec = None if vectors is None else vectors[row]
        yield {"_op_type": "index", "_index": index, "_id": doc.id, "_source": source(doc, vec)}


def delete_actions(index: str, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
    for rid in ids:
        yield {"_op_type": "delete", "_index": index, "_id": rid}


def run(client: Elasticsearch, url: str, actions: Iterable[dict[str, Any]], *,
        initial_backoff: float = INITIAL_BACKOFF, report: BulkReport | None = None) -> BulkReport:
    """Send actions in chunks; items rejected with 429/5xx are retried with exponential
    backoff, other failing items are reported by id and the rest still load."""
    report = report if report is not None else BulkReport()
    stream = helpers.streaming_bulk(
        client, actions, chunk_size=CHUNK, raise_on_error=False, raise_on_exception=True,
        max_retries=MAX_RETRIES, initial_backoff=initial_backoff, max_backoff=MAX_BACKOFF,
        retry_on_status=RETRY_STATUSES)
    with guarded(url, "bulk"):
        for ok, item in stream:
            op, info = next(iter(item.items()))
            rid, status = str(info.get("_id")), int(info.get("status", 0))
            if op == "delete" and (ok or status == 404):  # already gone is fine
                report.deleted.append(rid)
            elif ok:
                report.indexed.append(rid)
            else:
                report.errors.append((rid, status, _reason(info)))
    return report


def _reason(info: dict[str, Any]) -> str:
    error = info.get("error")
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error or info.get("result") or "unknown error")
