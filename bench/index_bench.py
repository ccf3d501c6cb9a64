"""Embedded index benchmark on csl-kw-dev: build throughput and query latency vs bm25s / numpy.

    OMP_NUM_THREADS=1 .venv/bin/python bench/index_bench.py [--work bench/.work] [--queries 500]

Build: tokenize (jieba), encode (e5-small through the vector cache in <work>/cache: the first
run is cold, reruns reuse the vectors and say so), tantivy (add + commit), faiss (flat add; HNSW
build for reference), and the end-to-end `sync_index --full`. Queries (first N of
queries.jsonl, top-10, one thread): lexical (tantivy), dense (faiss exact), hybrid (both at
depth 100 + RRF k=60), next to bm25s over the same jieba tokens and a brute-force numpy scan
(vectors @ q, argpartition) measured in the same run. Query encoding is timed separately.
Writes bench/results/index_bench.md (or --out). `--encoder hash` swaps e5 for hash-seeded random
unit vectors of the same dim (384): build/search timings of everything but encoding, in minutes.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from bench_report import latencies  # noqa: E402

from techmatch.eval.datasets import read_corpus as beir_corpus  # noqa: E402
from techmatch.indexers.encoders import Encoder, HashEncoder  # noqa: E402
from techmatch.indexers.tokenize import Tokenizer  # noqa: E402
from techmatch.models.records import Achievement  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "eval" / "csl-kw-dev"
OUT = ROOT / "bench" / "results" / "index_bench.md"
K = 10
DEPTH = 100
RRF_K = 60


def read_corpus(path: Path) -> list[Achievement]:
    """BEIR corpus.jsonl → Achievements, through the evaluation's BEIR reader."""
    return [Achievement(id=doc.id, title=doc.title, abstract=doc.text,
                        type=str(doc.metadata.get("type", "other")),  # type: ignore[arg-type]
                        discipline=doc.metadata.get("discipline"))  # type: ignore[arg-type]
            for doc in beir_corpus(path)]



def timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def rrf(lists: Sequence[Sequence[str]], k: int) -> list[str]:
    """Reciprocal rank fusion (Cormack et al. 2009): sum 1 / (RRF_K + rank)."""
    scores: dict[str, float] = {}
    for ids in lists:
        for rank, rid in enumerate(ids, start=1):
            scores[rid] = scores.get(rid, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores, key=lambda r: (-scores[r], r))[:k]


def build_parts(records: list[Achievement], tokenizer: Tokenizer, encoder: Encoder, work: Path,
                rows: list[list[str]]) -> None:
    """Time each build stage on its own and append a row per stage to `rows`."""
    import faiss

    from techmatch.indexers.base import to_document
    from techmatch.indexers.embedded.lexical import LexicalWriter
    from techmatch.indexers.vector_cache import CachedEncoder

    n = len(records)
    docs, secs = timed(lambda: [to_document(r, tokenizer) for r in records])
    rows.append(["tokenize (jieba)", f"{n / secs:,.0f}", f"{secs:.2f}"])
    cold = not (work / "cache").exists()
    cache = CachedEncoder(encoder, work / "cache")
    texts = [d.dense_text for d in docs]
    vectors, secs = timed(lambda: cache.encode_passages(texts))  # commits chunk by chunk
    cache.close()
    label = f"encode {encoder.id} ({'cold' if cold else 'vector cache hit'})"
    rows.append([label, f"{n / secs:,.0f}", f"{secs:.2f}"])
    folder = work / "parts"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)

    def tantivy_build() -> None:
        writer = LexicalWriter(folder, None, threads=1)
        writer.add(docs, np.arange(n, dtype=np.int64))
        writer.close()

    _, secs = timed(tantivy_build)
    rows.append(["tantivy add + commit", f"{n / secs:,.0f}", f"{secs:.2f}"])
    vecs = np.ascontiguousarray(vectors, dtype=np.float32)

    def flat() -> None:
        faiss.IndexIDMap2(faiss.IndexFlatIP(vecs.shape[1])).add_with_ids(
            vecs, np.arange(n, dtype=np.int64))

    def hnsw() -> None:
        inner = faiss.IndexHNSWFlat(vecs.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = 80
        faiss.IndexIDMap2(inner).add_with_ids(vecs, np.arange(n, dtype=np.int64))

    _, secs = timed(flat)
    rows.append(["faiss IndexFlatIP add", f"{n / secs:,.0f}", f"{secs:.3f}"])
    _, secs = timed(hnsw)
    rows.append(["faiss HNSW32 build (reference)", f"{n / secs:,.0f}", f"{secs:.2f}"])
    shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--encoder", choices=["e5-small", "hash"], default="e5-small")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    n_queries = min(args.queries, 500)

    import bm25s

    from techmatch.config import Settings
    from techmatch.indexers.encoders import build_encoder
    from techmatch.indexers.factory import open_index, sync_index
    from techmatch.store import Store

    records = read_corpus(DATA / "corpus.jsonl")
    queries = [json.loads(x)["text"] for x in
               (DATA / "queries.jsonl").read_text(encoding="utf-8").splitlines()][:n_queries]
    settings = Settings(home=args.work, threads=1)
    tokenizer = Tokenizer()
    encoder = (build_encoder("e5-small", threads=1) if args.encoder == "e5-small"
               else HashEncoder())
    build_rows: list[list[str]] = []
    build_parts(records, tokenizer, encoder, args.work, build_rows)

    shutil.rmtree(args.work / "index", ignore_errors=True)
    (args.work / "store.sqlite").unlink(missing_ok=True)
    store = Store(args.work / "store.sqlite")
    store.upsert(records)
    report, secs = timed(lambda: sync_index(settings, "achievement", store, encoder=encoder,
                                            tokenizer=tokenizer, full=True))
    build_rows.append([f"sync_index --full end to end (encoded {report.encoded})",  # type: ignore[attr-defined]
                       f"{len(records) / secs:,.0f}", f"{secs:.2f}"])
    index = open_index(settings, "achievement", encoder=encoder, tokenizer=tokenizer)

    q_tokens = [tokenizer.tokens(q) for q in queries]
    q_vecs, secs = timed(lambda: encoder.encode_queries(queries))
    q_vecs = np.asarray(q_vecs)
    corpus_tokens = [tokenizer.tokens(r.text()) for r in records]
    ids = [r.id for r in records]
    bm25 = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    bm25.index(corpus_tokens, show_progress=False)
    vocab = bm25.vocab_dict
    bm_queries = [[t for t in dict.fromkeys(ts) if t in vocab] or [next(iter(vocab))]
                  for ts in q_tokens]
    doc_vecs = np.asarray(index.vectors(ids))

    def numpy_scan(i: int) -> list[str]:
        scores = doc_vecs @ q_vecs[i]
        top = np.argpartition(-scores, K)[:K]
        return [ids[j] for j in top[np.argsort(-scores[top], kind="stable")]]

    def bm25s_search(i: int) -> list[str]:
        docs, _ = bm25.retrieve([bm_queries[i]], k=K, show_progress=False, n_threads=0)
        return [ids[j] for j in docs[0]]

    def hybrid(i: int) -> list[str]:
        lex = index.search_lexical(q_tokens[i], k=DEPTH).ids
        den = index.search_dense(q_vecs[i], k=DEPTH).ids
        return rrf([lex, den], K)

    systems: dict[str, Callable[[int], object]] = {
        "lexical · tantivy BM25": lambda i: index.search_lexical(q_tokens[i], k=K).ids,
        "lexical · bm25s (same tokens)": bm25s_search,
        "dense · faiss exact (IDMap2 FlatIP)": lambda i: index.search_dense(q_vecs[i], k=K).ids,
        "dense · numpy brute force": numpy_scan,
        "hybrid · tantivy+faiss @100 + RRF": hybrid,
    }
    query_rows = [[f"encode query ({encoder.id})", f"{secs / len(queries) * 1000:.2f}", "–", "–"]]
    results = {}
    for name, fn in systems.items():
        ms = latencies(fn, len(queries))
        results[name] = [fn(i) for i in range(len(queries))]
        query_rows.append([name, f"{np.percentile(ms, 50):.3f}", f"{np.percentile(ms, 99):.3f}",
                           ""])
    agree = {"lexical · tantivy BM25": "lexical · bm25s (same tokens)",
             "dense · faiss exact (IDMap2 FlatIP)": "dense · numpy brute force"}
    for row in query_rows[1:]:
        other = agree.get(row[0])
        if other:
            overlap = np.mean([len(set(a) & set(b)) / K for a, b in
                               zip(results[row[0]], results[other], strict=True)])
            row[3] = f"top-10 overlap with {other.split('·')[1].strip()}: {overlap:.3f}"
    write_report(args.out, sys.argv[1:], len(records), len(queries), build_rows, query_rows,
                 report.generation)  # type: ignore[attr-defined]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def write_report(out: Path, argv: list[str], n_docs: int, n_queries: int,
                 build_rows: list[list[str]], query_rows: list[list[str]], generation: str) -> None:
    text = "\n".join([
        "# Embedded index benchmark (csl-kw-dev)", "",
        f"{n_docs:,} documents, {n_queries} queries, top-{K}, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS')}, {os.cpu_count()} cores; "
        f"load average at the end {os.getloadavg()[0]:.1f}; "
        f"command: `OMP_NUM_THREADS=1 .venv/bin/python bench/index_bench.py {' '.join(argv)}`",
        "",
        "## Build", "", table(["stage", "docs/s", "seconds"], build_rows), "",
        "## Query latency (ms per query, one at a time)", "",
        table(["system", "p50", "p99", "check"], query_rows), "",
        f"Index generation measured: {generation}. Latency excludes query encoding "
        "(its own row) and tokenization.", ""])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
