"""Discipline centroids of the achievement corpus: how close a need is to each field.

A need never says its discipline. `work_field` (techmatch.matcher.experts) reads it from the
disciplines of the need's best-ranked achievements; this reads it from the whole corpus
instead: each discipline's centroid is the normalised mean of the vectors of every achievement
that carries it (a nearest-centroid / Rocchio class prototype), and the need's closeness to a
field is the cosine of its query vector to that centroid. An expert's `field_profile` is the
best of those cosines over their field (their own disciplines plus their works').

Kept per engine and refreshed when the achievements change: the disciplines of every live
achievement are read once and then followed through the store's change log; the centroids are
recomputed from the index's vectors when the store's achievement sequence or the index
generation moves.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import numpy as np
from scipy import sparse

from techmatch.errors import IndexMissingError
from techmatch.matcher.engine import Engine
from techmatch.matcher.features import disciplines
from techmatch.models.records import Achievement

FETCH = 1000  # changed achievements read per store call


class FieldCentroids:
    """discipline → unit centroid of its achievements' vectors, for one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._seq = -1
        self._fields: dict[str, frozenset[str]] = {}  # achievement id → its disciplines
        self._stamp: tuple[int, str] | None = None
        self._names: list[str] = []
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._lock = threading.Lock()  # API requests share the service across threads

    def profile(self, query_vector: np.ndarray) -> dict[str, float]:
        """discipline → cosine of `query_vector` to its centroid ({} without an index)."""
        names, matrix = self.centroids()
        if not names:
            return {}
        cos = matrix @ np.asarray(query_vector, dtype=np.float32)
        return dict(zip(names, cos.astype(np.float64).tolist(), strict=True))

    def centroids(self) -> tuple[list[str], np.ndarray]:
        """(sorted discipline names, (n, dim) unit centroids) for the current achievements."""
        try:
            index = self.engine.index("achievement")
        except IndexMissingError:
            return [], np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            self._follow()
            stamp = (self._seq, index.generation)
            if stamp != self._stamp:
                self._names, self._matrix = _centroids(self._fields, index.vectors)
                self._stamp = stamp
            return self._names, self._matrix

    def _follow(self) -> None:
        """Bring the id → disciplines map up to the store's last achievement change."""
        store = self.engine.store
        seq = store.last_seq("achievement")
        if seq == self._seq:
            return
        if self._seq < 0:
            self._fields = {rec.id: ds for rec in store.iter_records("achievement")
                            if (ds := disciplines(rec))}
        else:
            changed = [c.id for c in store.changes_since(self._seq, "achievement")]
            for start in range(0, len(changed), FETCH):
                chunk = changed[start:start + FETCH]
                live = store.get_many(chunk)
                for rid in chunk:
                    rec = live.get(rid)
                    ds = disciplines(rec) if isinstance(rec, Achievement) else frozenset()
                    if ds:
                        self._fields[rid] = ds
                    else:
                        self._fields.pop(rid, None)
        self._seq = seq


def _centroids(fields: Mapping[str, frozenset[str]], vectors_of
               ) -> tuple[list[str], np.ndarray]:
    """Unit mean of the unit vectors of each discipline's achievements; records without a
    vector in the index (not yet indexed) are left out, and so is a discipline none has."""
    ids = sorted(fields)
    if not ids:
        return [], np.zeros((0, 0), dtype=np.float32)
    names = sorted({d for rid in ids for d in fields[rid]})
    col = {d: j for j, d in enumerate(names)}
    sums: np.ndarray | None = None
    for start in range(0, len(ids), 50_000):
        chunk = ids[start:start + 50_000]
        vecs = np.asarray(vectors_of(chunk), dtype=np.float64)
        norms = np.linalg.norm(vecs, axis=1)
        if sums is None:
            sums = np.zeros((len(names), vecs.shape[1]))
        pairs = [(col[d], i) for i, rid in enumerate(chunk) if norms[i] > 0
                 for d in fields[rid]]
        if pairs:  # sums += Y · unit vectors, Y the (discipline × record) membership matrix
            cols, rows = (np.asarray(x, dtype=np.int64) for x in zip(*pairs, strict=True))
            member = sparse.csr_matrix((np.ones(len(cols)), (cols, rows)),
                                       shape=(len(names), len(chunk)))
            sums += member @ (vecs / np.where(norms > 0, norms, 1.0)[:, None])
    assert sums is not None
    lengths = np.linalg.norm(sums, axis=1)
    keep = lengths > 0
    matrix = (sums[keep] / lengths[keep, None]).astype(np.float32)
    return [d for d, k in zip(names, keep, strict=True) if k], matrix


__all__ = ["FieldCentroids"]
