"""The row table of a generation: record id, stable int64 key, live flag and facet codes per row.

Row i of `vectors.npy` belongs to row i here. Keys are handed out in increasing order and never
reused (a changed record gets a new key), so `keys` is sorted and maps a faiss / tantivy key back
to its row with one `searchsorted`. Facet values are dictionary-coded (-1 = no value) so a
filter becomes a boolean mask over rows without touching any record. A row's first value of a
facet is in `codes`; its further values (an expert's second discipline) are (row, code) pairs in
`more`, few next to the rows, and a filter allows a row when any of its values is wanted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from techmatch.indexers.base import FACETS, Document
from techmatch.models.results import Filters

ROWS_FILE = "rows.npz"
IDS_FILE = "ids.json"


@dataclass
class Rows:
    """Columns of equal length n: ids, keys (int64, ascending), live (bool), facet codes;
    `more[facet]` = (rows int64, codes int32) of the values after each row's first."""

    ids: list[str] = field(default_factory=list)
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    live: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    codes: dict[str, np.ndarray] = field(
        default_factory=lambda: {f: np.zeros(0, dtype=np.int32) for f in FACETS})
    vocab: dict[str, list[str]] = field(default_factory=lambda: {f: [] for f in FACETS})
    more: dict[str, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=lambda: {f: _no_more() for f in FACETS})

    def __len__(self) -> int:
        return len(self.ids)

    # -- persistence -------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        arrays: dict[str, np.ndarray] = {"keys": self.keys, "live": self.live}
        for name in FACETS:
            arrays[f"codes_{name}"] = self.codes[name]
            arrays[f"vocab_{name}"] = np.asarray(self.vocab[name], dtype=np.str_)
            arrays[f"more_rows_{name}"], arrays[f"more_codes_{name}"] = self.more[name]
        with open(folder / ROWS_FILE, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        (folder / IDS_FILE).write_text(json.dumps(self.ids, ensure_ascii=False),
                                       encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Rows:
        with np.load(folder / ROWS_FILE, allow_pickle=False) as data:
            codes = {name: data[f"codes_{name}"].astype(np.int32) for name in FACETS}
            vocab = {name: [str(v) for v in data[f"vocab_{name}"]] for name in FACETS}
            more = {name: (data[f"more_rows_{name}"].astype(np.int64),
                           data[f"more_codes_{name}"].astype(np.int32)) for name in FACETS}
            keys, live = data["keys"].astype(np.int64), data["live"].astype(bool)
        ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
        return cls(ids=ids, keys=keys, live=live, codes=codes, vocab=vocab, more=more)

    # -- building ----------------------------------------------------------------------------
    def kill(self, ids: Iterable[str]) -> None:
        """Mark the rows of these record ids as dead (tombstones)."""
        wanted = set(ids)
        if wanted:
            self.live &= ~np.fromiter((i in wanted for i in self.ids), bool, len(self.ids))

    def compacted(self) -> tuple[Rows, np.ndarray]:
        """Live rows only, and the selected row numbers (to slice vectors the same way)."""
        rows = np.flatnonzero(self.live)
        new_row = np.full(len(self), -1, dtype=np.int64)
        new_row[rows] = np.arange(len(rows), dtype=np.int64)
        more = {}
        for name, (at, codes) in self.more.items():
            kept = new_row[at] >= 0
            more[name] = (new_row[at][kept], codes[kept])
        out = Rows(ids=[self.ids[r] for r in rows], keys=self.keys[rows],
                   live=np.ones(len(rows), dtype=bool),
                   codes={f: c[rows] for f, c in self.codes.items()},
                   vocab={f: list(v) for f, v in self.vocab.items()}, more=more)
        return out, rows

    def append(self, docs: Sequence[Document], keys: np.ndarray) -> None:
        """Add one batch of rows (for many batches use one `RowsAppender`: linear time)."""
        appender = RowsAppender(self)
        appender.add(docs, keys)
        appender.finish()

    # -- reading -----------------------------------------------------------------------------
    def rows_of_keys(self, keys: np.ndarray) -> np.ndarray:
        """Row per key (keys must exist; -1 stays -1)."""
        rows = np.searchsorted(self.keys, keys)
        return np.where(keys < 0, -1, rows)

    def mask(self, filters: Filters | None, row_of: dict[str, int]) -> np.ndarray:
        """Rows allowed by `filters` (already normalised): live, facet values, exclude_ids."""
        allowed = self.live.copy()
        if filters is None:
            return allowed
        for name, values in filters.facet_items():
            lookup = {v: i for i, v in enumerate(self.vocab[name])}
            codes = np.asarray([lookup[v] for v in values if v in lookup], dtype=np.int32)
            holds = np.isin(self.codes[name], codes)
            at, more = self.more[name]
            if len(at):  # rows holding a wanted value after their first one
                holds[at[np.isin(more, codes)]] = True
            allowed &= holds
        for rid in filters.exclude_ids or []:
            row = row_of.get(rid)
            if row is not None:
                allowed[row] = False
        return allowed


def _no_more() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)


class RowsAppender:
    """Appends batches of documents to `rows`, joining the columns once in `finish`.

    Concatenating the arrays on every batch copied all earlier rows each time (quadratic in
    the record count: minutes at a million); the new columns are collected per batch here.
    `rows` is only consistent again after `finish`.
    """

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self._keys: list[np.ndarray] = []
        self._codes: dict[str, list[np.ndarray]] = {f: [] for f in FACETS}
        self._more: dict[str, list[tuple[int, int]]] = {f: [] for f in FACETS}
        self._lookup = {f: {v: i for i, v in enumerate(rows.vocab[f])} for f in FACETS}
        self._count = 0

    def add(self, docs: Sequence[Document], keys: np.ndarray) -> None:
        if len(keys) != len(docs):
            raise ValueError(f"{len(docs)} documents but {len(keys)} keys")
        first_row = len(self.rows.ids)
        self.rows.ids.extend(d.id for d in docs)
        self._keys.append(np.asarray(keys, dtype=np.int64))
        self._count += len(docs)
        for name in FACETS:
            lookup, vocab, more = self._lookup[name], self.rows.vocab[name], self._more[name]
            new = np.empty(len(docs), dtype=np.int32)
            for i, doc in enumerate(docs):
                values = doc.facets.get(name) or ()
                new[i] = -1
                for j, value in enumerate(values):
                    code = lookup.get(value)
                    if code is None:
                        code = lookup[value] = len(vocab)
                        vocab.append(value)
                    if j == 0:
                        new[i] = code
                    else:
                        more.append((first_row + i, code))
            self._codes[name].append(new)

    def finish(self) -> Rows:
        """Join the collected columns onto `rows` (once) and return it."""
        rows = self.rows
        rows.keys = np.concatenate([rows.keys, *self._keys])
        rows.live = np.concatenate([rows.live, np.ones(self._count, dtype=bool)])
        for name in FACETS:
            rows.codes[name] = np.concatenate([rows.codes[name], *self._codes[name]])
            at, codes = rows.more[name]
            pairs = np.asarray(self._more[name], dtype=np.int64).reshape(-1, 2)
            rows.more[name] = (np.concatenate([at, pairs[:, 0]]),
                               np.concatenate([codes, pairs[:, 1].astype(np.int32)]))
        self._keys, self._codes, self._count = [], {f: [] for f in FACETS}, 0
        self._more = {f: [] for f in FACETS}
        return rows
