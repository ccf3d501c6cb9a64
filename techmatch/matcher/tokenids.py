"""Token overlaps of one need's candidates counted in numpy, from token ids (issue 19: batch).

The achievement feature table counts, per candidate, how many tokens it shares with the
query (`term_coverage`, `keyword_jaccard`), with the query's translation, and with each of the
list's top PRF_K hits (`prf_terms`): about 50 × 12 frozenset intersections and a dictionary
lookup per shared token, per need — a quarter of the batch's table (profiled at 10,000 needs
× 100,000 achievements). `TokenIds`, kept on the batch's `CandidateMemo`, gives each distinct
token an integer once per run and each candidate text its array of token ids once; a need's
overlaps are then a few numpy operations over its candidates' concatenated ids: each group of
tokens (the query's, the translation's, each top hit's) sets one bit of a per-token mark, the
marks of the candidates' tokens are gathered, and per candidate and bit the set bits are
counted (cumulative sums over the marked entries, differenced at row ends). The counts are
exact integers, the numbers the set intersections give, so every column computed from them is
the same float.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_GROUPS = 16  # bits of a mark (uint16)
MAX_ROWS = 400_000  # texts remembered; beyond, `trim` starts afresh (ids and rows)


class TokenIds:
    """Token ids and each text's token-id array, remembered for a run."""

    def __init__(self, *, max_rows: int = MAX_ROWS) -> None:
        self._max = max_rows
        self._vocab: dict[str, int] = {}
        self._rows: dict[str, np.ndarray] = {}
        self._mark = np.zeros(1024, dtype=np.uint16)

    def trim(self) -> None:
        """Forget every id and row when more than `max_rows` texts are remembered; call it
        only between needs (it invalidates the rows given out before)."""
        if len(self._rows) > self._max:
            self._rows.clear()
            self._vocab.clear()

    def row(self, text: str, tokens: frozenset[str]) -> np.ndarray:
        """The ids of `tokens` (the token set of `text`), remembered by text."""
        found = self._rows.get(text)
        if found is None:
            vocab = self._vocab
            new = tokens - vocab.keys()
            if new:
                vocab.update(zip(new, range(len(vocab), len(vocab) + len(new)), strict=True))
            found = self._rows[text] = np.fromiter(map(vocab.__getitem__, tokens),
                                                   dtype=np.int32, count=len(tokens))
        return found

    def ids(self, tokens: frozenset[str] | Sequence[str]) -> np.ndarray:
        """Ids of the known tokens among `tokens` (a token no remembered row holds cannot be
        shared with one: it is left out)."""
        vocab = self._vocab
        known = vocab.keys() & tokens
        return np.fromiter(map(vocab.__getitem__, known), dtype=np.int32, count=len(known))

    def overlaps(self, rows: Sequence[np.ndarray], groups: Sequence[np.ndarray]) -> np.ndarray:
        """(len(rows), len(groups)) int64: |row i ∩ group g|, rows and groups given as arrays
        of distinct token ids (`row`, `ids`)."""
        if len(groups) > MAX_GROUPS:
            raise ValueError(f"at most {MAX_GROUPS} groups, got {len(groups)}")
        n, g = len(rows), len(groups)
        if not n or not g:
            return np.zeros((n, g), dtype=np.int64)
        if len(self._mark) < len(self._vocab):
            self._mark = np.zeros(max(len(self._vocab), 2 * len(self._mark)), dtype=np.uint16)
        mark = self._mark
        try:
            for bit, ids in enumerate(groups):
                mark[ids] |= np.uint16(1 << bit)  # distinct ids: no index is written twice
            marks = mark[np.concatenate(rows) if n > 1 else rows[0]]
        finally:
            for ids in groups:
                mark[ids] = 0
        out = np.zeros((g, n), dtype=np.int64)
        held = np.flatnonzero(marks)  # the candidates' tokens some group holds, in row order
        if not len(held):
            return out.T
        row = np.searchsorted(np.cumsum(np.fromiter(map(len, rows), dtype=np.int64, count=n)),
                              held, side="right")
        bits = (marks[held][None, :] >> np.arange(g, dtype=np.uint16)[:, None]) & np.uint16(1)
        running = np.cumsum(bits, axis=1, dtype=np.int64)  # (g, held): counts so far
        last = np.flatnonzero(np.r_[row[1:] != row[:-1], True])  # each row's last entry
        out[:, row[last]] = np.diff(running[:, last], axis=1, prepend=0)
        return out.T


__all__ = ["TokenIds"]
