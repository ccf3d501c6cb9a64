"""Request bodies built as dicts: user text only ever appears inside `match`/`terms` clauses.

There is no `query_string` anywhere: tokens are joined by spaces and matched against the
whitespace-analyzed token field with `operator: or`, so no query syntax can be injected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from techmatch.indexers.base import normalize_filters, query_terms
from techmatch.indexers.elastic.mapping import ID, TOKENS, VECTOR
from techmatch.models.results import Filters

# Searches fail rather than answer from some shards only: a missing primary (red index) must
# not look like a shorter ranking. A yellow index (replicas missing) answers in full.
PARTIAL = {"allow_partial_search_results": False}
MAX_WINDOW = 10_000  # Elasticsearch's default index.max_result_window and kNN k limit
SORT = [{"_score": {"order": "desc"}}, {ID: {"order": "asc"}}]  # ties broken by id


def filter_clauses(filters: Filters | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(filter, must_not) clauses: `terms` per facet, `ids` for exclusions."""
    clean = normalize_filters(filters)
    if clean is None:
        return [], []
    keep = [{"terms": {facet: list(values)}} for facet, values in clean.facet_items()]
    drop = [{"ids": {"values": list(clean.exclude_ids)}}] if clean.exclude_ids else []
    return keep, drop


def lexical_body(tokens: Sequence[str], *, k: int, filters: Filters | None,
                 field: str = TOKENS) -> dict[str, Any]:
    """BM25 over the OR of `tokens`, filters inside the bool query (not post-filtered).

    A repeated query token counts once, as in the embedded backend (a `match` query would
    otherwise add one clause per repetition and weigh that term twice), and only the first
    MAX_QUERY_TERMS distinct tokens are searched, as there too: past the cluster's max clause
    count the whole search would fail (too_many_clauses).
    """
    keep, drop = filter_clauses(filters)
    terms = query_terms(tokens)
    match = {"match": {field: {"query": " ".join(terms), "operator": "or"}}}
    query: dict[str, Any] = {"bool": {"must": [match]}}
    if keep:
        query["bool"]["filter"] = keep
    if drop:
        query["bool"]["must_not"] = drop
    return {"query": query, "size": min(k, MAX_WINDOW), "sort": SORT, "_source": False,
            "track_total_hits": False, **PARTIAL}


def knn_body(vector: np.ndarray, *, k: int, filters: Filters | None) -> dict[str, Any]:
    """kNN on the dense_vector field with the filters inside `knn.filter` (exact on a `flat`
    index, approximate on HNSW). The msearch header carries `allow_partial_search_results`."""
    keep, drop = filter_clauses(filters)
    size = min(k, MAX_WINDOW)
    knn: dict[str, Any] = {"field": VECTOR, "query_vector": [float(x) for x in vector],
                           "k": size, "num_candidates": min(MAX_WINDOW, max(100, 2 * size))}
    if keep or drop:
        knn["filter"] = {"bool": {"filter": keep, "must_not": drop}}
    return {"knn": knn, "size": size, "_source": False, "track_total_hits": False}


def inner_product(score: float) -> float:
    """kNN `_score` for dot_product similarity is (1 + ip) / 2; return ip itself."""
    return 2.0 * score - 1.0
