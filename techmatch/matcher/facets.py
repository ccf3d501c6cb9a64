"""Normalised facet values, computed once per distinct raw value instead of on every query.

Ranking compares a query's facets (discipline, industry, keywords, city, province) with every
candidate's. Normalising them (NFKC, OpenCC traditional→simplified, splitting '化学/化学工程')
is pure in the raw text, so results are cached keyed by that text: a candidate's facets are
normalised the first time any query meets a record holding those values, and records that
share a value (most share a city or an industry) share the entry. Bounded LRU caches, safe to
share between threads.
"""

from __future__ import annotations

import re
from functools import lru_cache

from techmatch.indexers.ingest.normalize import normalize

CACHE_SIZE = 262_144
_FACET_SPLIT = re.compile(r"[/、,，;；|]+")


@lru_cache(maxsize=CACHE_SIZE)
def normalized(value: str) -> str:
    """`normalize(value)`, remembered."""
    return normalize(value)


@lru_cache(maxsize=CACHE_SIZE)
def facet_values(items: tuple[str, ...]) -> frozenset[str]:
    """Normalised parts of every item; '化学/化学工程' counts as both parts."""
    out: set[str] = set()
    for item in items:
        if item:
            out.update(p.strip() for p in _FACET_SPLIT.split(normalized(item)) if p.strip())
    return frozenset(out)


def cache_info() -> dict[str, object]:
    """Hits / misses / size of both caches (diagnostics and tests)."""
    return {"normalized": normalized.cache_info(), "facet_values": facet_values.cache_info()}


__all__ = ["cache_info", "facet_values", "normalized"]
