"""Lexical part of a generation: a tantivy index over jieba tokens, BM25 as tantivy computes it.

Fields: `key` (u64 fast field, the row key), `id` (raw, for deletes and exclusions), `body`
(the tokens joined by spaces, `whitespace` tokenizer, term frequencies without positions),
`names` (likewise, the tokens of the record's names, `Record.NAME_FIELDS`: searched only by
`search(..., field=NAMES)`, so matching never reads them) and one raw field per facet (every
value of a multi-valued facet). Queries are built from tokens with `Query.term_query`; user
text never reaches a query parser. Filters are MUST clauses with a constant score of 0, so
they restrict the match set inside the same query without changing BM25 scores.

Incremental syncs hard-link the previous generation's files into the new folder (tantivy never
rewrites a file in place), then delete the changed ids by term and add their new versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import tantivy

from techmatch.indexers.base import FACETS, Document, query_terms
from techmatch.indexers.embedded.generations import link_or_copy_tree
from techmatch.models.results import Filters

LEXICAL_DIR = "lexical"
BODY, NAMES = "body", "names"
WRITER_HEAP = 64_000_000


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("key", stored=False, indexed=True, fast=True)
    builder.add_text_field("id", stored=False, tokenizer_name="raw", index_option="basic")
    for name in (BODY, NAMES):
        builder.add_text_field(name, stored=False, tokenizer_name="whitespace",
                               index_option="freq")
    for name in FACETS:
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    return builder.build()


class LexicalWriter:
    """Writes `<folder>/lexical`, starting from a link-copy of `previous` when given."""

    def __init__(self, folder: Path, previous: Path | None, *, threads: int) -> None:
        path = folder / LEXICAL_DIR
        if previous is not None:
            link_or_copy_tree(previous / LEXICAL_DIR, path)
        else:
            path.mkdir(parents=True)
        self.path = path
        self.schema = schema()
        self.index = tantivy.Index(self.schema, str(path), reuse=previous is not None)
        self.writer = self.index.writer(heap_size=WRITER_HEAP * threads, num_threads=threads)

    def delete(self, ids: Sequence[str]) -> None:
        for rid in ids:
            self.writer.delete_documents_by_term("id", rid)

    def add(self, docs: Sequence[Document], keys: np.ndarray) -> None:
        for doc, key in zip(docs, keys, strict=True):
            entry = tantivy.Document()
            entry.add_unsigned("key", int(key))
            entry.add_text("id", doc.id)
            entry.add_text(BODY, " ".join(doc.tokens))
            if doc.names:
                entry.add_text(NAMES, " ".join(doc.names))
            for name in FACETS:
                for value in doc.facets.get(name) or ():  # several values: any one matches
                    entry.add_text(name, value)
            self.writer.add_document(entry)

    def close(self) -> None:
        """Commit, let merges finish, then drop files no segment uses any more."""
        self.writer.commit()
        self.writer.wait_merging_threads()
        cleaner = self.index.writer(heap_size=15_000_000, num_threads=1)
        cleaner.garbage_collect_files()
        cleaner.wait_merging_threads()


class LexicalSearcher:
    """BM25 top-k over one generation; returns row keys and tantivy scores."""

    def __init__(self, folder: Path) -> None:
        self.schema = schema()
        self.index = tantivy.Index.open(str(folder / LEXICAL_DIR))
        self.searcher = self.index.searcher()

    def num_docs(self) -> int:
        return int(self.searcher.num_docs)

    def doc_freqs(self, tokens: Sequence[str]) -> np.ndarray:
        """Documents holding each distinct token (first-occurrence order), as tantivy's BM25
        counts them (deleted documents count until a merge drops them)."""
        terms = list(dict.fromkeys(t for t in tokens if t and not t.isspace()))
        return np.array([self.searcher.doc_freq(BODY, t) for t in terms], dtype=np.int64)

    def search(self, tokens: Sequence[str], k: int, filters: Filters | None,
               field: str = BODY) -> tuple[np.ndarray, np.ndarray]:
        """(keys int64, scores float32) best first over `field` (BODY or NAMES); duplicate
        query tokens count once, and only the first MAX_QUERY_TERMS distinct ones are searched
        (`query_terms`), as on Elasticsearch."""
        terms = query_terms(tokens)
        if not terms or k <= 0 or self._excludes_all(filters):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        query = self._query(terms, filters, field)
        hits = self.searcher.search(query, limit=k, count=False).hits
        if not hits:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        keys = self.searcher.fast_field_values("key", [addr for _, addr in hits])
        return (np.asarray(keys, dtype=np.int64),
                np.asarray([score for score, _ in hits], dtype=np.float32))

    def _excludes_all(self, filters: Filters | None) -> bool:
        """True when a facet filter allows only values no document holds (the cross-language
        search of a corpus without records in the other language): its MUST clause matches
        nothing, so the search would return nothing — skip it (about 0.6 ms of a 100,000-record
        index). Document frequencies count deleted documents too, so 0 means none."""
        if filters is None:
            return False
        return any(all(self.searcher.doc_freq(name, v) == 0 for v in values)
                   for name, values in filters.facet_items())

    def _query(self, terms: list[str], filters: Filters | None,
               field: str = BODY) -> tantivy.Query:
        query, occur = tantivy.Query, tantivy.Occur
        should = query.boolean_query([(occur.Should, query.term_query(self.schema, field, t))
                                      for t in terms])
        if filters is None:
            return should
        clauses = [(occur.Must, should)]
        for name, values in filters.facet_items():
            allowed = query.term_set_query(self.schema, name, list(values))
            clauses.append((occur.Must, query.const_score_query(allowed, 0.0)))
        if filters.exclude_ids:
            excluded = query.term_set_query(self.schema, "id", list(filters.exclude_ids))
            clauses.append((occur.MustNot, excluded))
        return query.boolean_query(clauses)
