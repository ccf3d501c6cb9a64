"""`EmbeddedIndex`: one opened generation of one kind (tantivy + faiss), read-only and immutable.

A handle keeps serving the generation it opened even after newer ones are published; a server
compares `generation` with `current_generation()` and reopens when they differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from techmatch.config import Settings
from techmatch.errors import IndexError_
from techmatch.indexers.base import Candidates, Index, normalize_filters
from techmatch.indexers.embedded.dense import DenseSearcher, load_vectors
from techmatch.indexers.embedded.generations import (
    FIX,
    Manifest,
    current_folder,
    kind_dir,
    read_current,
    verify,
)
from techmatch.indexers.embedded.lexical import NAMES, LexicalSearcher
from techmatch.indexers.embedded.rows import Rows
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.results import Filters

OPEN_ATTEMPTS = 3


class EmbeddedIndex(Index):
    """Search one generation folder; build with `open_embedded`."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.kind = manifest.kind
        self.folder = folder
        self.manifest = manifest
        self.rows = Rows.load(folder)
        self._vectors = load_vectors(folder)
        if self._vectors.shape != (len(self.rows), manifest.encoder_dim):
            raise IndexError_(f"{folder}: vectors {self._vectors.shape} do not match "
                              f"{len(self.rows)} rows of dim {manifest.encoder_dim}; {FIX}")
        self._row_of = {rid: int(r) for r, rid in enumerate(self.rows.ids) if self.rows.live[r]}
        self._lexical = LexicalSearcher(folder)
        self._dense = DenseSearcher(folder, self.rows, self._vectors, manifest.dense_type)
        if self._lexical.num_docs() != len(self._row_of) or manifest.count != len(self._row_of):
            raise IndexError_(f"{folder}: lexical has {self._lexical.num_docs()} documents, "
                              f"dense {len(self._row_of)}, manifest {manifest.count}; {FIX}")

    @property
    def generation(self) -> str:
        return self.folder.name

    @property
    def applied_seq(self) -> int:
        return self.manifest.applied_seq

    def count(self) -> int:
        return len(self._row_of)

    def has(self, rid: str) -> bool:
        return rid in self._row_of

    def search_lexical(self, tokens: Sequence[str], *, k: int,
                       filters: Filters | None = None) -> Candidates:
        keys, scores = self._lexical.search(tokens, k, normalize_filters(filters))
        return _candidates(self.rows, self.rows.rows_of_keys(keys), scores)

    def search_names(self, tokens: Sequence[str], *, k: int,
                     filters: Filters | None = None) -> Candidates:
        keys, scores = self._lexical.search(tokens, k, normalize_filters(filters), field=NAMES)
        return _candidates(self.rows, self.rows.rows_of_keys(keys), scores)

    def doc_freqs(self, tokens: Sequence[str]) -> np.ndarray | None:
        return self._lexical.doc_freqs(tokens)

    def search_dense(self, vector: np.ndarray, *, k: int,
                     filters: Filters | None = None) -> Candidates:
        return self.search_dense_batch(np.atleast_2d(vector), k=k, filters=filters)[0]

    def search_dense_batch(self, vectors: np.ndarray, *, k: int,
                           filters: Filters | None = None) -> list[Candidates]:
        """Top-k per row of `vectors` (m, dim) in one faiss call."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if vectors.shape[1] != self.manifest.encoder_dim:
            raise IndexError_(f"query vectors have dim {vectors.shape[1]}, the {self.kind} "
                              f"index holds dim {self.manifest.encoder_dim}")
        allowed = self.rows.mask(normalize_filters(filters), self._row_of)
        found = self._dense.search(vectors, k, allowed)
        return [_candidates(self.rows, rows, scores) for rows, scores in found]

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(ids), self.manifest.encoder_dim), dtype=np.float32)
        row_of = self._row_of
        rows = np.fromiter((row_of.get(rid, -1) for rid in ids), dtype=np.int64, count=len(ids))
        found = rows >= 0
        if found.any():  # one gather instead of a row copy per id
            out[found] = self._vectors[rows[found]]
        return out

    def verify(self) -> None:
        """Recompute every file's sha256 against the manifest (IndexError_ on a difference)."""
        verify(self.folder, self.manifest, deep=True)


def _candidates(rows: Rows, row_numbers: np.ndarray, scores: np.ndarray) -> Candidates:
    """Candidates best first, equal scores ordered by id."""
    every = rows.ids
    ids = [every[r] for r in np.asarray(row_numbers, dtype=np.int64).tolist()]
    values = np.asarray(scores)
    floats = values.tolist()  # Python floats once, not a numpy scalar per comparison
    order = sorted(range(len(ids)), key=lambda i: (-floats[i], ids[i]))
    return Candidates([ids[i] for i in order],
                      values[np.asarray(order, dtype=np.intp)].astype(np.float32))


def open_embedded(settings: Settings, kind: str, *, encoder: Encoder,
                  tokenizer: Tokenizer) -> EmbeddedIndex:
    """Open the current generation; IndexMissingError / IndexMismatchError as documented."""
    faiss.omp_set_num_threads(settings.threads)
    root = kind_dir(settings, kind)
    for _ in range(OPEN_ATTEMPTS - 1):
        folder = current_folder(root, kind)
        try:
            return _open_folder(folder, kind, encoder, tokenizer)
        except (IndexError_, OSError, ValueError):
            # Newer generations published while this one was opening may have removed it:
            # retry on the new CURRENT; if CURRENT did not move, the error is real.
            if read_current(root) == folder.name:
                raise
    return _open_folder(current_folder(root, kind), kind, encoder, tokenizer)


def _open_folder(folder: Path, kind: str, encoder: Encoder,
                 tokenizer: Tokenizer) -> EmbeddedIndex:
    manifest = Manifest.load(folder)
    manifest.check(kind=kind, encoder_id=encoder.id, encoder_dim=encoder.dim,
                   fingerprint=tokenizer.fingerprint)
    verify(folder, manifest, deep=False)
    return EmbeddedIndex(folder, manifest)
