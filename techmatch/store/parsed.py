"""Parsed live records by id, remembered between ranking requests and checked on every read.

Ranking one query parses every candidate's stored JSON into a pydantic record (about 50 per
query, a few milliseconds): the same candidates come back query after query. `ParsedRecords`
keeps the parsed record with the change sequence number it was parsed at; each read asks the
store for the current sequence numbers of the wanted ids it holds (a narrow indexed query, no
JSON) and parses again only the ids whose number moved; ids it never parsed are read and parsed
with their sequence number in one query. A write by any process (another API worker,
the CLI) bumps the record's sequence number, so a cached record is never returned stale; a
deleted record is never returned. Share the returned records read-only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from techmatch.models.records import Record, record_type
from techmatch.store.db import Database

CHUNK = 500  # ids per statement
MAX_ENTRIES = 200_000  # beyond this the memory is cleared (a bounded, simple policy)


class ParsedRecords:
    """`get_many` like `Store.get_many`, with parsed records reused while unchanged."""

    def __init__(self, db: Database, *, max_entries: int = MAX_ENTRIES) -> None:
        self._db = db
        self._max = max_entries
        self._known: dict[str, tuple[int, Record]] = {}
        self._lock = threading.Lock()
        self.parsed = 0  # records parsed so far (diagnostics and tests)

    def get_many(self, ids: Iterable[str]) -> dict[str, Record]:
        """Live records by id in the order asked (missing or deleted ids are left out)."""
        wanted = list(dict.fromkeys(ids))
        # Parsed before: one narrow query of their current seq, reparse only what moved.
        # Never parsed here (most candidates of a fresh query over a large store): read and
        # parse them at once, their seq comes with them (one query instead of two).
        prior = {rid: found for rid in wanted if (found := self._known.get(rid)) is not None}
        fresh = self._parse([rid for rid in wanted if rid not in prior])
        seqs: dict[str, int] = {}
        seen = list(prior)
        for start in range(0, len(seen), CHUNK):
            chunk = seen[start:start + CHUNK]
            marks = ",".join("?" * len(chunk))
            seqs.update((str(rid), int(seq)) for rid, seq in self._db.fetch(
                f"SELECT id, seq FROM records WHERE deleted = 0 AND id IN ({marks})", chunk))
        fresh.update(self._parse([rid for rid in seen
                                  if rid in seqs and prior[rid][0] != seqs[rid]]))
        out: dict[str, Record] = {}
        for rid in wanted:
            if rid in fresh:
                out[rid] = fresh[rid][1]
            elif rid in seqs and prior[rid][0] == seqs[rid]:
                out[rid] = prior[rid][1]
        return out

    def adopt(self, other: ParsedRecords) -> None:
        """Reuse `other`'s parsed records (a forked worker's fresh store keeps what its parent
        parsed; they are still checked against the sequence numbers on every read)."""
        with self._lock:
            self._known = other._known
            self._max = other._max

    @property
    def capacity(self) -> int:
        """Records kept before the memory is cleared."""
        return self._max

    def _parse(self, ids: list[str]) -> dict[str, tuple[int, Record]]:
        fresh: dict[str, tuple[int, Record]] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            marks = ",".join("?" * len(chunk))
            for rid, kind, data, seq in self._db.fetch(
                    f"SELECT id, kind, data, seq FROM records WHERE deleted = 0 "
                    f"AND id IN ({marks})", chunk):
                record = record_type(kind).model_validate_json(data)
                fresh[str(rid)] = (int(seq), record)  # type: ignore[assignment]
        if fresh:
            with self._lock:
                if len(self._known) + len(fresh) > self._max:
                    self._known.clear()
                self._known.update(fresh)
                self.parsed += len(fresh)
        return fresh


__all__ = ["ParsedRecords"]
