"""Index body (settings + mappings) and the `_meta` that ties an index to its encoder/tokenizer.

Text holds the jieba tokens joined by single spaces in a `whitespace`-analyzed field, so
Elasticsearch sees exactly the tokens the embedded backend indexes; facets are `keyword`
fields; vectors are a `dense_vector` searched with kNN. Shard and replica counts are left to
the cluster (use an index template on `<prefix>_*`; see docs/elasticsearch.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from techmatch.errors import IndexMismatchError
from techmatch.indexers.base import FACETS, SCHEMA_VERSION

TOKENS = "tokens"
NAMES = "names"  # tokens of a record's names (NAME_FIELDS): only explicit searches read it
VECTOR = "vector"
ID = "id"
SIMILARITY = "dot_product"  # encoders return unit rows, so dot product == cosine
# Like the embedded backend: exact search ("flat": every vector scored, no graph) up to
# TECHMATCH_DENSE_EXACT_MAX records, unquantized HNSW above (approximate order, exact float
# inner products); for 100M+ vectors switch HNSW to "int8_hnsw" or "bbq_hnsw" here (4-32x
# less memory, approximate scores)
VECTOR_INDEX_OPTIONS = {"type": "hnsw", "m": 16, "ef_construction": 100}
EXACT_INDEX_OPTIONS = {"type": "flat"}
KEYWORD_MAX = 1024  # longer facet values are kept in _source but not indexed (never rejected)


@dataclass(frozen=True)
class Identity:
    """What must agree between an index and the running process to read it correctly."""

    kind: str
    encoder_id: str
    dim: int
    tokenizer: str
    dense: bool = True

    def meta(self, *, applied_seq: int = 0, previous: str | None = None) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "kind": self.kind,
                "encoder_id": self.encoder_id, "dim": self.dim, "tokenizer": self.tokenizer,
                "dense": self.dense, "similarity": SIMILARITY, "applied_seq": applied_seq,
                "previous": previous,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def index_body(identity: Identity, *, previous: str | None,
               exact: bool = False) -> dict[str, Any]:
    """`settings` and `mappings` for a new generation (pass as keyword arguments to create);
    `exact` stores vectors without a graph, so kNN scores every one of them."""
    properties: dict[str, Any] = {
        ID: {"type": "keyword"},
        TOKENS: {"type": "text", "analyzer": "whitespace", "similarity": "BM25",
                 "norms": True, "index_options": "freqs"},
        NAMES: {"type": "text", "analyzer": "whitespace", "similarity": "BM25",
                "norms": True, "index_options": "freqs"},
    }
    for facet in FACETS:
        properties[facet] = {"type": "keyword", "ignore_above": KEYWORD_MAX}
    if identity.dense:
        properties[VECTOR] = {"type": "dense_vector", "dims": identity.dim, "index": True,
                              "similarity": SIMILARITY,
                              "index_options": dict(EXACT_INDEX_OPTIONS if exact
                                                    else VECTOR_INDEX_OPTIONS)}
    else:
        # lexical-only test mode (osmem has no dense_vector): no vector field at all
        properties[VECTOR] = {"type": "object", "enabled": False}
    return {
        "settings": {"index": {"similarity": {"default": {"type": "BM25", "k1": 1.2,
                                                          "b": 0.75}}}},
        "mappings": {"dynamic": "strict",
                     "_meta": {**identity.meta(previous=previous),
                               "vector_index": ("flat" if exact else "hnsw")
                               if identity.dense else None},
                     "properties": properties},
    }


def check_meta(index: str, meta: dict[str, Any], wanted: Identity) -> None:
    """Raise IndexMismatchError naming every difference and the command that fixes it."""
    found = {"结构版本": meta.get("schema_version"), "类别": meta.get("kind"),
             "编码模型": meta.get("encoder_id"), "向量维数": meta.get("dim"),
             "分词指纹": meta.get("tokenizer"), "已索引向量": meta.get("dense", True)}
    expected = {"结构版本": SCHEMA_VERSION, "类别": wanted.kind,
                "编码模型": wanted.encoder_id, "向量维数": wanted.dim,
                "分词指纹": wanted.tokenizer, "已索引向量": wanted.dense}
    diffs = [f"{name}在索引中为 {found[name]!r}，当前配置为 {expected[name]!r}"
             for name in expected if found[name] != expected[name]]
    if diffs:
        raise IndexMismatchError(f"Elasticsearch 索引 {index} 与当前配置不符：{'；'.join(diffs)}；"
                                 f"请运行 `techmatch reindex --kind {wanted.kind}` 重建")
