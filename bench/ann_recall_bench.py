"""HNSW recall@10 against exact search, with the index's own HNSW parameters (dense.py).

    nice -n 15 .venv/bin/python bench/ann_recall_bench.py --cache /tmp/tm-1m/cache [--n 50000]

Vectors: the first N vectors of an e5-small vector cache file (e.g. the one `build_1m.py`
fills with mixtures of real e5-small passage vectors). Queries: csl-kw-dev queries encoded by
e5-small (real query vectors). Builds `IndexHNSWFlat(M=HNSW_M, efConstruction=
HNSW_EF_CONSTRUCTION)` as `save_dense` does, then for several efSearch: recall@10 against an
exact inner-product scan and per-query latency, one thread. Writes
bench/results/ann_recall_bench.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sqlite3  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import faiss  # noqa: E402
import numpy as np  # noqa: E402
from bench_report import fmt_load, write_report  # noqa: E402

from techmatch.indexers.embedded.dense import (  # noqa: E402
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
)
from techmatch.indexers.encoders import build_encoder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT.parent / "shared" / "eval" / "csl-kw-dev" / "queries.jsonl"
OUT = ROOT / "bench" / "results" / "ann_recall_bench.md"
K = 10


def read_vectors(cache: Path, n: int) -> np.ndarray:
    """First n passage vectors (rowid order) of the e5-small cache file, read-only."""
    path = cache / "vectors-e5-small-q4_torch.sqlite"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute("SELECT v FROM vec WHERE k NOT LIKE 'q:%' ORDER BY rowid LIMIT ?",
                      (n,)).fetchall()
    db.close()
    return np.stack([np.frombuffer(r[0], dtype=np.float32) for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    load_start = os.getloadavg()
    faiss.omp_set_num_threads(1)
    vectors = read_vectors(args.cache, args.n)
    texts = [json.loads(x)["text"] for x in itertools.islice(
        QUERIES.open(encoding="utf-8"), args.queries)]
    queries = build_encoder("e5-small", threads=1).encode_queries(texts)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    truth = exact.search(queries, K)[1]
    graph = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    start = time.perf_counter()
    graph.add(vectors)
    build_s = time.perf_counter() - start
    rows = []
    for ef in (32, 64, 128, 256):
        graph.hnsw.efSearch = ef
        found, ms = [], []
        for q in queries:
            t0 = time.perf_counter()
            found.append(graph.search(q[None, :], K)[1][0])
            ms.append((time.perf_counter() - t0) * 1000)
        recall = np.mean([len(set(t) & set(f)) / K for t, f in zip(truth, found, strict=True)])
        rows.append(f"| {ef}{' (served)' if ef == HNSW_EF_SEARCH else ''} | {recall:.4f} | "
                    f"{np.percentile(ms, 50):.3f} | {np.percentile(ms, 99):.3f} |")
    ms_exact = []
    for q in queries[:50]:
        t0 = time.perf_counter()
        exact.search(q[None, :], K)
        ms_exact.append((time.perf_counter() - t0) * 1000)
    lines = [
        f"# ANN recall@10: HNSW vs exact, {len(vectors):,} vectors", "",
        f"Command: `nice -n 15 .venv/bin/python bench/ann_recall_bench.py --cache {args.cache} "
        f"--n {args.n} --queries {args.queries}`  ",
        f"Machine: {os.cpu_count()} cores, CPython {platform.python_version()}, one thread. "
        f"**Shared machine, other jobs running**: load average {fmt_load(load_start)} "
        f"at the start, {fmt_load(os.getloadavg())} at the end.  ",
        f"Vectors: the first {len(vectors):,} of {args.cache} (mixtures of real e5-small "
        f"passage vectors, see build_1m.py); queries: {len(queries)} csl-kw-dev queries "
        f"encoded by e5-small. HNSW M={HNSW_M}, efConstruction={HNSW_EF_CONSTRUCTION}, built "
        f"in {build_s:.1f} s ({len(vectors) / build_s:,.0f} vectors/s, one thread).", "",
        "| efSearch | recall@10 | p50 ms | p99 ms |", "|---|---:|---:|---:|", *rows,
        f"| exact (IndexFlatIP) | 1.0000 | {np.percentile(ms_exact, 50):.3f} | "
        f"{np.percentile(ms_exact, 99):.3f} |", "",
        "Not measured at 1,000,000 vectors (see scale_1m.md): recall of a fixed HNSW "
        "configuration falls as the collection grows.", ""]
    write_report(args.out, lines)


if __name__ == "__main__":
    main()
