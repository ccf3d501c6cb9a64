"""What a caller may see: confidential needs and contact fields only for write / admin keys.

Read keys never receive a confidential need (get, list, search, reverse match, feedback) and
never see `contact`. Confidential ids are excluded inside retrieval (so `k` stays filled)
and hits are filtered again afterwards as a second guard.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from techmatch.api.security import Principal
from techmatch.matcher.facets import normalized
from techmatch.models.records import Record
from techmatch.models.results import Filters, Hit, Ranking
from techmatch.store import Store

HIDDEN_FIELDS: tuple[str, ...] = ("contact",)
LIST_FILTERS: dict[str, tuple[str, ...]] = {
    "need": ("province", "city", "industry", "discipline", "status", "enterprise"),
    "achievement": ("province", "city", "industry", "discipline", "type", "language",
                    "institution"),
    "expert": ("province", "city", "organization"),
}


class Visibility:
    """Redaction rules over one store; confidential ids are cached per need change sequence."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cache: tuple[int, frozenset[str]] = (-1, frozenset())

    def confidential_ids(self) -> frozenset[str]:
        seq = self._store.last_seq("need")
        with self._lock:
            if self._cache[0] == seq:
                return self._cache[1]
        ids = self._store.listing.confidential_need_ids()
        with self._lock:
            self._cache = (seq, ids)
        return ids

    def visible(self, record: Record, principal: Principal) -> bool:
        return principal.sees_confidential or not getattr(record, "confidential", False)

    def public(self, record: Record, principal: Principal) -> dict[str, object]:
        data = record.model_dump(mode="json")
        return data if principal.sees_confidential else _strip(data)

    def filters_for(self, kind: str, filters: Filters | None,
                    principal: Principal) -> Filters | None:
        """`filters` plus the confidential need ids when a read key searches needs."""
        if kind != "need" or principal.sees_confidential:
            return filters
        hidden = self.confidential_ids()
        if not hidden:
            return filters
        base = filters or Filters()
        exclude = sorted(set(base.exclude_ids or ()) | hidden)
        return base.model_copy(update={"exclude_ids": exclude})

    def redact(self, ranking: Ranking, principal: Principal) -> Ranking:
        """Drop confidential need hits and contact fields for callers who may not see them."""
        if principal.sees_confidential:
            return ranking
        hidden = self.confidential_ids()
        hits: list[Hit] = []
        for hit in ranking.hits:
            if hit.kind == "need" and (hit.id in hidden or (hit.record or {}).get("confidential")):
                continue
            record = _strip(hit.record) if hit.record is not None else None
            hits.append(hit.model_copy(update={"rank": len(hits) + 1, "record": record}))
        return ranking.model_copy(update={"hits": hits})

    def list(self, kind: str, principal: Principal, *, filters: Mapping[str, Sequence[str]],
             offset: int, limit: int) -> tuple[list[Record], int]:
        """One page of live records of `kind` (ordered by id) and the total under `filters`:
        a field matches a value in any writing, as search filters compare (`normalized`: 蘇州
        is 苏州, full-width and case folded), and any of a filter's values."""
        allowed: dict[str, list[str]] = {}
        for name, values in filters.items():
            if name in LIST_FILTERS[kind]:
                wanted = {normalized(v) for v in values}
                allowed[name] = [raw for raw in self._store.listing.values(kind, name)
                                 if normalized(raw) in wanted]
        return self._store.listing.page(kind, filters=allowed,
                                        hide_confidential=kind == "need"
                                        and not principal.sees_confidential,
                                        offset=offset, limit=limit)

    def hide_pairs(self, ids: Sequence[str], principal: Principal) -> set[str]:
        """Which of `ids` a caller may not see (confidential need ids for read keys)."""
        if principal.sees_confidential:
            return set()
        return set(ids) & self.confidential_ids()


def _strip(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if k not in HIDDEN_FIELDS}
