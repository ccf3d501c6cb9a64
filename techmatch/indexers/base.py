"""The `Index` interface every backend implements, and the documents it is built from.

One index per kind. An index is a cache derived from the store: it records the last store
sequence it applied and can always be rebuilt. Fusion, ranking and explanation never look
inside a backend; they only see `Candidates`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

import numpy as np

from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import Record
from techmatch.models.results import Filters

FACETS: tuple[str, ...] = ("province", "city", "industry", "discipline", "type", "status",
                           "language")
# Bumped when what an index holds changes; a generation of another version is refused on open
# (IndexMismatchError naming the fix) and rebuilt in full by the next sync / `techmatch index`.
# 2 (2026-12-01): facets hold every value (an expert's second discipline was not indexed).
# 3 (2026-12-01): a separate `names` text field (an expert's name and organisation).
# 4 (2026-12-01): `names` also holds an achievement's institution and a need's enterprise.
# 5 (2026-12-01): `names` also holds the starts of each name (`name_starts`).
# 6 (2026-12-01): `names` also holds a person's aliases in brackets, each with its starts
#                 (王海伦（Helen Wang）: 王海伦, Helen Wang; `Record.names`).
SCHEMA_VERSION = 6

Progress = Callable[[int], None]
# Distinct tokens a lexical query keeps at most, the first ones in order of occurrence, on
# every backend alike. Elasticsearch refuses a query with more leaf clauses than its max clause
# count (computed from the node's heap and search threads, never below 1,024; 8,192 on a 512 MB
# node with 4 search threads): a need past it failed there and answered on the embedded
# backend. 1,000 leaves the last 24 clauses of the smallest node to the filters.
MAX_QUERY_TERMS = 1_000


def query_terms(tokens: Sequence[str]) -> list[str]:
    """The terms a lexical query searches: distinct non-blank tokens in first-occurrence order
    (a repeated token counts once), at most MAX_QUERY_TERMS of them."""
    distinct = dict.fromkeys(t for t in tokens if t and not t.isspace())
    return list(islice(distinct, MAX_QUERY_TERMS))


class Candidates(NamedTuple):
    """One retriever's answer: ids in descending score order, scores shape (n,) float32."""

    ids: list[str]
    scores: np.ndarray


@dataclass(frozen=True)
class Document:
    """What an index stores for one record: tokens for BM25, text for the encoder, facets
    (every normalised value of each facet, () for none: a filter matches any of them), and
    `names`: tokens of the record's names (`Record.NAME_FIELDS`: an expert's name and
    organisation, an achievement's institution, a need's enterprise) and their starts
    (`name_starts`), a field of its own that only `search_names` reads — matching searches
    `tokens` alone."""

    id: str
    kind: str
    tokens: list[str]
    dense_text: str
    facets: dict[str, tuple[str, ...]]
    names: list[str] = field(default_factory=list)


# A name's starts in the `names` field: the mark, then the name's first 2, 3 … characters
# (normalised, spaces removed, at most NAME_START_CHARS), so that a search finds 蒋伟民 and
# 中国科学院物理研究所 by 蒋伟 / 中国科学院 whatever the tokenizer made of the names. Which
# start names a record (a person's 2 characters, an organisation's 4, a Latin word whole) is
# the rule of techmatch.matcher.names; the index only makes every start findable.
NAME_START = "^"  # the tokenizer never emits it: no query token meets a start by chance
NAME_START_CHARS = (2, 40)
_WHITESPACE = re.compile(r"\s+")


def compact_name(text: str) -> str:
    """A name as names are compared: normalised (蘇州 = 苏州, Ｎ = n), without spaces."""
    return _WHITESPACE.sub("", normalize(text))


def name_starts(values: Sequence[str]) -> list[str]:
    """The `names` field's start terms of these names (`NAME_START`)."""
    low, high = NAME_START_CHARS
    out: dict[str, None] = {}
    for value in values:
        name = compact_name(value)
        for end in range(low, min(len(name), high) + 1):
            out[NAME_START + name[:end]] = None
    return list(out)


def name_start_term(text: str) -> str | None:
    """The start term a search for `text` looks up (None: too short or too long to be one)."""
    name = compact_name(text)
    low, high = NAME_START_CHARS
    return NAME_START + name if low <= len(name) <= high else None


def to_document(record: Record, tokenizer: Tokenizer) -> Document:
    """The single place that turns a record into index input (every backend uses it)."""
    text = record.text()
    found = record.facets()
    facets = {name: tuple(dict.fromkeys(n for v in found.get(name, ()) if (n := normalize(v))))
              for name in FACETS}
    names = record.names()  # aliases too (王海伦（Helen Wang）: 王海伦, Helen Wang), for starts
    written = record.names(aliases=False)  # tokens once: an alias's words are in its name
    return Document(id=record.id, kind=record.kind, tokens=tokenizer.tokens(text),
                    dense_text=normalize(text, lower=False), facets=facets,
                    names=([*tokenizer.tokens("\n".join(written)), *name_starts(names)]
                           if names else []))


def normalize_filters(filters: Filters | None) -> Filters | None:
    """Filters with values normalised the way facets are, so 蘇州 matches 苏州."""
    if filters is None or filters.is_empty():
        return None
    data = filters.model_dump()
    for name, values in data.items():
        if values and name != "exclude_ids":
            data[name] = [normalize(v) for v in values]
    return Filters.model_validate(data)

# a sync's note when nothing changed (both backends; staff read it in `techmatch index --json`)
UP_TO_DATE = "已是最新：当前索引版本建立后存储中没有变化"


@dataclass
class SyncReport:
    """What one `sync` applied to an index."""

    kind: str
    upserted: int = 0
    deleted: int = 0
    encoded: int = 0
    applied_seq: int = 0
    generation: str = ""
    full: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per build step


class Index(ABC):
    """Search one kind: BM25 over tokens, inner product over unit vectors, facet filters."""

    kind: str
    # A forked process may search through this handle (it holds files, not connections);
    # the batch job's worker processes need it (techmatch.matcher.batch.workers).
    fork_safe: bool = True

    @property
    @abstractmethod
    def generation(self) -> str:
        """Identifier of the on-disk / cluster generation this handle reads."""

    @property
    @abstractmethod
    def applied_seq(self) -> int:
        """Last store change sequence this index reflects."""

    @abstractmethod
    def count(self) -> int:
        """Number of live documents."""

    @abstractmethod
    def search_lexical(self, tokens: Sequence[str], *, k: int,
                       filters: Filters | None = None) -> Candidates:
        """BM25 top-k for the OR of `tokens` (already tokenized: no query parser)."""

    def search_names(self, tokens: Sequence[str], *, k: int,
                     filters: Filters | None = None) -> Candidates:
        """BM25 top-k for the OR of `tokens` over the `names` field only (`Record.NAME_FIELDS`);
        empty for kinds without names. Only explicit searches call it."""
        return Candidates([], np.zeros(0, dtype=np.float32))

    def doc_freqs(self, tokens: Sequence[str]) -> np.ndarray | None:
        """Documents holding each distinct token of `tokens` (first-occurrence order), the
        document frequencies BM25 uses; None when the backend cannot tell (the cross-language
        lexical merge then lifts the translated list by rank, techmatch.matcher.crosslingual)."""
        return None

    @abstractmethod
    def search_dense(self, vector: np.ndarray, *, k: int,
                     filters: Filters | None = None) -> Candidates:
        """Inner-product top-k for one unit vector of shape (dim,)."""

    def search_dense_batch(self, vectors: np.ndarray, *, k: int,
                           filters: Filters | None = None) -> list[Candidates]:
        """Top-k for each row of `vectors` (m, dim); backends override to search in one call."""
        return [self.search_dense(v, k=k, filters=filters) for v in vectors]

    @abstractmethod
    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Stored vectors (len(ids), dim) in `ids` order; unknown ids give zero rows."""

    @abstractmethod
    def has(self, rid: str) -> bool:
        """True if a live document with this id is in the index."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files / connections."""
