"""Per-candidate values remembered for a whole batch run (issue 19).

A batch over 10,000 needs meets each of the 100,000 candidates many times; every meeting
derived the same values again from the same parsed record: its text, the normalised text the
key-term cover searches (`normalize`'s bounded LRU thrashes on a working set this large), its
lower-cased text, its language. `CandidateMemo` keeps them for the run: the batch sets one on its
`MatchService` while it matches (`MatchService.memo`), the request path never does. Every
value is a pure function of the record (or text) it is kept for, so a remembered value is the
value; a record is keyed by id and its entry is used only while it is the same parsed object
(`ParsedRecords` returns a new object when the record changed).
"""

from __future__ import annotations

from collections.abc import Callable

from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.crosslingual import language as text_language
from techmatch.models.records import Record

MAX_ENTRIES = 400_000  # beyond this a table is cleared (a bounded, simple policy)


class CandidateMemo:
    """Text (as is, normalised, lower-cased) and language of candidates, remembered
    between needs."""

    def __init__(self, *, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._texts: dict[str, tuple[Record, str]] = {}
        self._normal: dict[str, str] = {}
        self._language: dict[str, str | None] = {}
        self._lowered: dict[str, tuple[Record, str]] = {}

    def text(self, record: Record) -> str:
        """`record.text()`."""
        return self._by_record(self._texts, record, lambda: record.text())

    def lowered(self, record: Record) -> str:
        """`record.text().lower()`."""
        return self._by_record(self._lowered, record, lambda: self.text(record).lower())

    def _by_record(self, table: dict[str, tuple[Record, str]], record: Record,
                   compute: Callable[[], str]) -> str:
        """`compute()` remembered by record id while the same record object is asked for."""
        found = table.get(record.id)
        if found is not None and found[0] is record:
            return found[1]
        if len(table) >= self._max:
            table.clear()
        value = compute()
        table[record.id] = (record, value)
        return value

    def normalized(self, text: str) -> str:
        """`normalize(text)` (lower case)."""
        found = self._normal.get(text)
        if found is None:
            if len(self._normal) >= self._max:
                self._normal.clear()
            found = self._normal[text] = normalize(text)
        return found

    def language(self, text: str) -> str | None:
        """`techmatch.matcher.crosslingual.language(text)`."""
        try:
            return self._language[text]
        except KeyError:
            if len(self._language) >= self._max:
                self._language.clear()
            found = self._language[text] = text_language(text)
            return found


__all__ = ["CandidateMemo"]
