"""Dense part of a generation: float32 vectors (`vectors.npy`) and a faiss inner-product index.

Up to `dense_exact_max` live rows: exact `IndexIDMap2(IndexFlatIP)`, built at open time from
`vectors.npy` (nothing else to store). Above: `IndexIDMap2(IndexHNSWFlat)` saved as
`dense.faiss`; HNSW cannot remove, so changed rows become tombstones (kept out by the id
selector) and the graph is rebuilt once they pass `MAX_DEAD` of the rows. faiss ids are the
stable row keys. Filters are an `IDSelectorBitmap` over keys passed in `SearchParameters`, so
faiss only ever scores allowed rows (no post-filtering).

Many queries at once over a flat index (a batch job's chunk): faiss scans the vectors once
per query here (about 6–7 ms per query at 100,000 × 384, batched or not),
so `DenseSearcher` instead finds each query's candidates with one matrix product for the
whole block (numpy / OpenBLAS, about 2 ms per query) and a lower bound of the k-th score,
then scores those candidates again with faiss's own inner-product kernel and keeps the top
k — the same rows and the same float32 scores as faiss's search (see `_flat_many`). Under a
filter the allowed vectors are gathered first.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import faiss
import numpy as np

from techmatch.indexers.embedded.rows import Rows

VECTORS_FILE = "vectors.npy"
FAISS_FILE = "dense.faiss"
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
MAX_DEAD = 0.25
EXACT_BELOW = 20_000  # with HNSW, a filter this selective is scanned exactly (better recall)
MANY_QUERIES = 8  # from this many queries a flat search uses `_flat_many`
BLOCK_CELLS = 1 << 24  # scores per matrix product block (64 MB of float32)


def save_dense(folder: Path, rows: Rows, vectors: np.ndarray, *, exact_max: int,
               previous: Path | None) -> tuple[Rows, np.ndarray, str]:
    """Write vectors (and the HNSW graph when large); compacts rows when allowed or needed.

    `previous` is the prior generation folder whose `dense.faiss` may be extended, or None.
    Returns the rows and vectors actually saved and the dense type ("flat" or "hnsw").
    """
    n_live = int(rows.live.sum())
    dead = len(rows) - n_live
    if n_live <= exact_max:
        rows, keep = rows.compacted()
        vectors = vectors[keep]
        dense_type = "flat"
    else:
        dense_type = "hnsw"
        graph = _previous_graph(previous, rows)
        if graph is None or dead > MAX_DEAD * len(rows):
            rows, keep = rows.compacted()
            vectors = vectors[keep]
            graph = _new_hnsw(vectors.shape[1])
            graph.add_with_ids(vectors, rows.keys)
        else:
            start = graph.ntotal
            graph.add_with_ids(vectors[start:], rows.keys[start:])
        faiss.write_index(graph, str(folder / FAISS_FILE))
    np.save(folder / VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32))
    rows.save(folder)
    return rows, vectors, dense_type


def _new_hnsw(dim: int) -> faiss.IndexIDMap2:
    inner = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    return faiss.IndexIDMap2(inner)


def _previous_graph(previous: Path | None, rows: Rows) -> faiss.IndexIDMap2 | None:
    """The prior HNSW graph when its rows are a prefix of `rows` (appends only)."""
    if previous is None or not (previous / FAISS_FILE).is_file():
        return None
    graph = cast(faiss.IndexIDMap2, faiss.read_index(str(previous / FAISS_FILE)))
    if graph.ntotal > len(rows):
        return None
    ids = faiss.vector_to_array(graph.id_map)
    return graph if np.array_equal(ids, rows.keys[:graph.ntotal]) else None


def load_vectors(folder: Path) -> np.ndarray:
    """(rows, dim) float32, memory-mapped read-only."""
    return np.load(folder / VECTORS_FILE, mmap_mode="r", allow_pickle=False)


class DenseSearcher:
    """Inner-product top-k over one generation's vectors under a row mask."""

    def __init__(self, folder: Path, rows: Rows, vectors: np.ndarray, dense_type: str) -> None:
        self.rows = rows
        self.vectors = vectors
        self.dense_type = dense_type
        if dense_type == "hnsw":
            graph = cast(faiss.IndexIDMap2, faiss.read_index(str(folder / FAISS_FILE)))
            cast(faiss.IndexHNSWFlat, faiss.downcast_index(graph.index)).hnsw.efSearch = (
                HNSW_EF_SEARCH)
            self.index = graph
        else:
            self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(int(vectors.shape[1])))
            live = np.flatnonzero(rows.live)
            if len(live):
                self.index.add_with_ids(np.ascontiguousarray(vectors[live]), rows.keys[live])
        self._storage_rows = np.flatnonzero(rows.live)  # flat: faiss storage position → row
        self._norm: float | None = None

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray
               ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query row: (rows, scores) best first. `allowed` is a bool mask over rows."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        n_allowed = int(np.count_nonzero(allowed))  # bool .sum() is 14x slower at 1M rows
        if n_allowed == 0 or k <= 0:
            return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in queries]
        if self.dense_type == "hnsw" and n_allowed <= EXACT_BELOW:
            return self._scan(queries, k, np.flatnonzero(allowed))
        if self.dense_type == "flat" and len(queries) >= MANY_QUERIES:
            return self._flat_many(queries, min(k, n_allowed), allowed, n_allowed)
        return self._faiss(queries, k, allowed, n_allowed)

    def _faiss(self, queries: np.ndarray, k: int, allowed: np.ndarray, n_allowed: int
               ) -> list[tuple[np.ndarray, np.ndarray]]:
        params = None
        if n_allowed < int(np.count_nonzero(self.rows.live)) or not self.rows.live.all():
            bits = np.zeros(int(self.rows.keys[-1]) + 1, dtype=bool)
            bits[self.rows.keys[allowed]] = True
            packed = np.packbits(bits, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(packed))
            params = faiss.SearchParameters()
            params.sel = selector
        scores, keys = self.index.search(queries, min(k, n_allowed), params=params)
        out = []
        for srow, krow in zip(scores, keys, strict=True):
            ok = krow >= 0
            out.append((self.rows.rows_of_keys(krow[ok]), srow[ok]))
        return out

    def _scan(self, queries: np.ndarray, k: int, rows: np.ndarray
              ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Exact scores over the allowed rows only: (m, d) @ (d, n_allowed)."""
        scores = queries @ np.asarray(self.vectors[rows]).T
        out = []
        for srow in scores:
            top = np.argsort(-srow, kind="stable")[:k]
            out.append((rows[top], srow[top].astype(np.float32)))
        return out

    def _flat_many(self, queries: np.ndarray, k: int, allowed: np.ndarray, n_allowed: int
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
        """faiss's flat top-k of many queries over the `allowed` rows, found by blocks of
        matrix products over those rows' vectors.

        Per query, `bound` (the k-th largest of the maxima of at least k disjoint column
        blocks, less `slack`) is at most the k-th largest product score less `slack`, and
        every row whose faiss score can reach the top k has a product score ≥ `bound`:
        product and faiss scores differ by rounding only, at most d · 2⁻²³ · |q| · max|x|
        each, and `slack` is four times that. Those candidates are scored again with
        faiss's kernel (`fvec_inner_products_ny`, the one its flat search runs). When equal
        scores straddle the k-th place (duplicate vectors) the query is left to faiss itself,
        whose choice among them this does not reproduce.
        """
        flat = cast(faiss.IndexFlatIP, faiss.downcast_index(self.index.index))
        n, dim = int(flat.ntotal), int(flat.d)
        stored = faiss.rev_swig_ptr(flat.get_xb(), n * dim).reshape(n, dim)
        reach = self._max_norm(stored)
        positions = None  # storage position of each row of `stored` (None: the same)
        if n_allowed < n:
            positions = np.flatnonzero(allowed[self._storage_rows])
            stored, n = np.ascontiguousarray(stored[positions]), len(positions)
        width = max(1, n // (4 * k))  # columns per block: at least k full blocks
        blocks = n // width
        step = max(1, BLOCK_CELLS // n)
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for start in range(0, len(queries), step):
            block = queries[start:start + step]
            products = block @ stored.T
            maxima = products[:, :blocks * width].reshape(len(block), blocks, width).max(axis=2)
            kth = -np.partition(-maxima, k - 1, axis=1)[:, k - 1]
            slack = 4.0 * dim * 2.0 ** -23 * np.linalg.norm(block, axis=1) * reach + 1e-30
            bound = (kth - slack).astype(np.float32)
            which, cols = np.nonzero(products >= bound[:, None])
            edges = np.searchsorted(which, np.arange(len(block) + 1))
            for i in range(len(block)):
                top = self._exact_top(block[i], stored, cols[edges[i]:edges[i + 1]], k,
                                      positions)
                out.append(top if top is not None else self._faiss(
                    block[i:i + 1], k, allowed, n_allowed)[0])
        return out

    def _max_norm(self, stored: np.ndarray) -> float:
        if self._norm is None:
            self._norm = float(np.sqrt(np.einsum("ij,ij->i", stored, stored)).max())
        return self._norm

    def _exact_top(self, query: np.ndarray, stored: np.ndarray, cols: np.ndarray, k: int,
                   positions: np.ndarray | None) -> tuple[np.ndarray, np.ndarray] | None:
        """Top k of the candidate rows `cols` of `stored` by faiss's own scores (None on a
        tie at the k-th place)."""
        query = np.ascontiguousarray(query, dtype=np.float32)
        cand = np.ascontiguousarray(stored[cols])
        scores = np.empty(len(cols), dtype=np.float32)
        faiss.fvec_inner_products_ny(  # type: ignore[attr-defined]  # not in the stubs
            faiss.swig_ptr(scores), faiss.swig_ptr(query), faiss.swig_ptr(cand),
            stored.shape[1], len(cols))
        order = np.lexsort((cols, -scores))
        if len(order) > k and scores[order[k - 1]] == scores[order[k]]:
            return None
        top = cols[order[:k]]
        return self._storage_rows[top if positions is None else positions[top]], \
            scores[order[:k]]
