"""Record lists for the console: filters, date range, search box and paging.

Without search text, a light row per record (facets, date, title) is kept per kind and
rebuilt only when the store's change sequence for that kind moves, so filtering and paging
are list operations in memory and only the shown page is loaded. With search text, the
ranking service answers (hybrid search under the same facet filters) and its hits are paged,
after the records the text names: an id typed as it is stored (folded: Ｎ００１ is N001; any
case), then the records it names by name — an expert's name or organization, a need's
enterprise, an achievement's institution — by the rule the API's search uses
(techmatch.matcher.names: a whole name, or a clear start such as 蒋伟, 苏州精传, 中国科学院;
苏州 or a topic word inside a company name, 新材料 in 苏州纳锂新材料科技, names nothing).
Matching reads none of these, so without this a search for 蒋伟 ranked other experts' texts
first.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.names import WHOLE, Name, id_key, names_of, naming, text_of
from techmatch.models.records import Expert, Need, Record
from techmatch.models.results import Filters
from techmatch.store import Store

PAGE_SIZE = 20
SEARCH_DEPTH = 100
FACETS: dict[str, tuple[str, ...]] = {"need": ("city", "industry", "status"),
                                      "achievement": ("city", "industry", "type"),
                                      "expert": ("city", "industry")}


@dataclass(frozen=True)
class Row:
    """What filtering needs of one record."""

    id: str
    facets: dict[str, tuple[str, ...]]
    created: dt.date | None
    confidential: bool
    names: tuple[Name, ...] = ()  # its names prepared (techmatch.matcher.names), for `direct`
    key: str = ""  # its id as typed ids are compared (`names.id_key`: the store's `id_key`)


@dataclass
class ListQuery:
    """A list request: facet values (exact), created-date range, search text, page."""

    kind: str
    facets: dict[str, str] = field(default_factory=dict)
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    text: str = ""
    page: int = 1


@dataclass
class ListPage:
    records: list[Record]
    total: int
    page: int
    pages: int
    scores: dict[str, float] = field(default_factory=dict)
    direct: dict[str, str] = field(default_factory=dict)  # id → 编号一致 / 名称一致
    searched: bool = False
    weak: bool = False  # searched, and no hit reaches the confidence threshold


def _facets(record: Record) -> dict[str, tuple[str, ...]]:
    values: dict[str, tuple[str, ...]] = {"city": (record.city,) if record.city else ()}
    if isinstance(record, Expert):
        values["industry"] = tuple(record.industries)
    else:
        industry = getattr(record, "industry", None)
        values["industry"] = (industry,) if industry else ()
    for name in ("status", "type"):
        value = getattr(record, name, None)
        if value is not None:
            values[name] = (str(value),)
    return values


def row_of(record: Record) -> Row:
    created = record.created_at.date() if record.created_at else None
    return Row(record.id, _facets(record), created,
               bool(isinstance(record, Need) and record.confidential), names_of(record),
               id_key(record.id))


ID_MATCH, NAME_MATCH = "编号一致", "名称一致"


def direct(rows: list[Row], text: str, rank: Mapping[str, int] | None = None) -> dict[str, str]:
    """The rows `text` names, in order — its id (`names.id_key` on both sides: folded, any
    case; the key `MatchService.search` and the store compare) first, then the rows it
    names whole, then those it names by a start (techmatch.matcher.names), each group in the
    order of `rank` (the search's ranks: the API's order) — each with why."""
    wanted = id_key(text)
    typed = text_of(text)
    ids: list[str] = []
    whole: list[str] = []
    starts: list[str] = []
    for r in rows:  # one pass (20,000 rows: 10-15 ms a query, two passes took 21-27)
        if r.key == wanted:
            ids.append(r.id)
        elif r.names and (how := naming(typed, r.names)) is not None:
            (whole if how == WHOLE else starts).append(r.id)
    if rank:
        last = len(rank) + 1
        whole.sort(key=lambda rid: rank.get(rid, last))
        starts.sort(key=lambda rid: rank.get(rid, last))
    return {**dict.fromkeys(ids, ID_MATCH), **dict.fromkeys(whole + starts, NAME_MATCH)}


class Catalog:
    """Per-kind light rows of one store, refreshed on change (thread-safe)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[int, list[Row]]] = {}

    def rows(self, kind: str) -> list[Row]:
        seq = self.store.last_seq(kind)
        with self._lock:
            cached = self._rows.get(kind)
            if cached is not None and cached[0] == seq:
                return cached[1]
        rows = [row_of(r) for r in self.store.iter_records(kind)]
        with self._lock:
            self._rows[kind] = (seq, rows)
        return rows

    def options(self, kind: str, hide_confidential: bool) -> dict[str, list[str]]:
        """Distinct values of each facet of `kind`, sorted (for the filter selects)."""
        found: dict[str, set[str]] = {name: set() for name in FACETS[kind]}
        for row in self.rows(kind):
            if hide_confidential and row.confidential:
                continue
            for name in found:
                found[name].update(row.facets.get(name, ()))
        return {name: sorted(values) for name, values in found.items()}

    def page(self, query: ListQuery, *, hide_confidential: bool) -> ListPage:
        """One page of records matching `query`, ordered by id."""
        rows = [r for r in self.rows(query.kind) if keep(r, query, hide_confidential)]
        total = len(rows)
        pages = max(1, -(-total // PAGE_SIZE))
        number = min(max(query.page, 1), pages)
        shown = rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        found = self.store.get_many(r.id for r in shown)
        return ListPage([found[r.id] for r in shown if r.id in found], total, number, pages)


def keep(row: Row, query: ListQuery, hide_confidential: bool) -> bool:
    """True when the row passes the query's facets and date range (and visibility)."""
    if hide_confidential and row.confidential:
        return False
    for name, wanted in query.facets.items():
        if wanted and normalize(wanted) not in {normalize(v) for v in row.facets.get(name, ())}:
            return False
    if query.created_from and (row.created is None or row.created < query.created_from):
        return False
    return not (query.created_to and (row.created is None or row.created > query.created_to))


def search_filters(query: ListQuery, hidden: frozenset[str]) -> Filters:
    """The service filters of a list query (facets as one-value lists, hidden ids excluded)."""
    data: dict[str, object] = {name: [value] for name, value in query.facets.items() if value}
    if hidden:
        data["exclude_ids"] = sorted(hidden)
    return Filters.model_validate(data)


def search_page(query: ListQuery, records: list[Record], scores: dict[str, float], *,
                hide_confidential: bool, named: dict[str, str] | None = None) -> ListPage:
    """Page the service's hits (already in rank order) after the date range and visibility;
    `named` (`direct`'s answer, its records first in `records`) keeps its marks."""
    kept = [r for r in records if keep(row_of(r), query, hide_confidential)]
    total = len(kept)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(query.page, 1), pages)
    marks = {r.id: named[r.id] for r in kept if named and r.id in named}
    return ListPage(kept[(number - 1) * PAGE_SIZE:number * PAGE_SIZE], total, number, pages,
                    scores=scores, direct=marks, searched=True)
