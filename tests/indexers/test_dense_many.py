"""Many queries over a flat index at once (`DenseSearcher._flat_many`, the batch job's dense
retrieval): exactly faiss's rows and float32 scores of each query searched alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from techmatch.indexers.embedded import dense as dense_module
from techmatch.indexers.embedded.dense import MANY_QUERIES, DenseSearcher
from techmatch.indexers.embedded.rows import Rows


def _searcher(tmp_path: Path, seed: int = 7) -> tuple[DenseSearcher, Rows, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((400, 24)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    vectors = np.concatenate([base, base[:100]])  # duplicates: equal scores at the k-th place
    n = len(vectors)
    rows = Rows(ids=[f"r{i:04d}" for i in range(n)], keys=np.arange(n, dtype=np.int64) * 3 + 1,
                live=np.ones(n, dtype=bool))
    queries = (base[rng.integers(0, 400, 3 * MANY_QUERIES)]
               + 0.3 * rng.standard_normal((3 * MANY_QUERIES, 24))).astype(np.float32)
    queries[0] = base[5]  # a stored vector (and its duplicate) as the query
    return DenseSearcher(tmp_path, rows, vectors, "flat"), rows, queries


def _canonical(found: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, float]]:
    """(row, score) ordered by score, then row (the order `_candidates` gives ids)."""
    rows, scores = found
    return sorted(zip(rows.tolist(), scores.tolist(), strict=True), key=lambda p: (-p[1], p[0]))


@pytest.mark.parametrize("k", [1, 5, 50, 499, 500, 800])
def test_many_queries_find_what_faiss_finds_for_each_alone(
        tmp_path: Path, k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    searcher, rows, queries = _searcher(tmp_path)
    calls: list[int] = []
    many = DenseSearcher._flat_many

    def spy(self: DenseSearcher, q: np.ndarray, *rest: object
            ) -> list[tuple[np.ndarray, np.ndarray]]:
        calls.append(len(q))
        return many(self, q, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(DenseSearcher, "_flat_many", spy)
    together = searcher.search(queries, k, rows.live)
    assert calls == [len(queries)]  # the batched path ran
    alone = [searcher.search(queries[i:i + 1], k, rows.live)[0] for i in range(len(queries))]
    assert calls == [len(queries)]  # single queries went to faiss
    for i, (got, want) in enumerate(zip(together, alone, strict=True)):
        assert len(got[0]) == min(k, len(rows))
        assert _canonical(got) == _canonical(want), i  # same rows, bit-identical scores


def test_small_blocks_and_filters_give_faiss_results(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    searcher, rows, queries = _searcher(tmp_path, seed=11)
    alone = [_canonical(searcher.search(queries[i:i + 1], 10, rows.live)[0])
             for i in range(len(queries))]
    monkeypatch.setattr(dense_module, "BLOCK_CELLS", 3 * len(rows))  # blocks of 3 queries
    assert [_canonical(f) for f in searcher.search(queries, 10, rows.live)] == alone
    for keep in (slice(None, None, 2), slice(0, 130), slice(95, 105)):  # filters
        allowed = np.zeros(len(rows), dtype=bool)
        allowed[keep] = True
        alone = [_canonical(searcher.search(queries[i:i + 1], 10, allowed)[0])
                 for i in range(len(queries))]  # faiss with its id selector
        together = searcher.search(queries, 10, allowed)
        assert [_canonical(f) for f in together] == alone
        assert all(len(f[0]) == 10 and allowed[f[0]].all() for f in together)
