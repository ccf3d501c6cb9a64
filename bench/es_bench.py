"""Embedded (tantivy + faiss) against Elasticsearch on the same corpus: ingest rate, search latency.

    OMP_NUM_THREADS=1 .venv/bin/python bench/es_bench.py [--url http://127.0.0.1:9200]
        [--encoder hash|e5] [--queries 500] [--work bench/.work/es] [--out FILE]

Without --url a single Elasticsearch node is started on loopback for the run (the test
service in tests/services/es_cluster.py, heap 1g) and stopped afterwards. Both backends index
csl-kw-dev's corpus (5,659 papers and patents) from one store through the factory's
`sync_index(full=True)`: tokenize, encode, build (embedded: tantivy + faiss generation on disk;
Elasticsearch: bulk into a new generation with refresh off, then the alias swap). `--encoder
hash` (default) gives both the same hash-seeded unit vectors (dim 384), so ingest times the
backend and not the encoder; `--encoder e5` reads e5-small vectors through the vector cache
(TECHMATCH_CACHE_DIR). Queries: the first N of queries.jsonl, one thread, top-10: lexical,
dense, and hybrid (lexical + dense at depth 100, fused by the project's RRF). Tokens and query
vectors are computed before timing. Also reported: how often the two backends agree on the
top-10 ids. Writes bench/results/es_bench.md (or --out).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from bench_report import latencies  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.eval.datasets import read_corpus  # noqa: E402
from techmatch.indexers.base import Index  # noqa: E402
from techmatch.indexers.encoders import Encoder, HashEncoder, build_encoder  # noqa: E402
from techmatch.indexers.factory import open_index, sync_index  # noqa: E402
from techmatch.indexers.tokenize import Tokenizer  # noqa: E402
from techmatch.indexers.vector_cache import CachedEncoder  # noqa: E402
from techmatch.matcher.fusion.rrf import rrf  # noqa: E402
from techmatch.models.records import Achievement  # noqa: E402
from techmatch.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from services import es_cluster  # noqa: E402

DATA = ROOT.parent / "shared" / "eval" / "csl-kw-dev"
OUT = ROOT / "bench" / "results" / "es_bench.md"
KIND = "achievement"
K, DEPTH = 10, 100


class Hash384(HashEncoder):
    id = "hash-384"
    dim = 384


def records() -> list[Achievement]:
    return [Achievement(id=doc.id, title=doc.title, abstract=doc.text,
                        type=str(doc.metadata.get("type", "other")),  # type: ignore[arg-type]
                        discipline=doc.metadata.get("discipline"))  # type: ignore[arg-type]
            for doc in read_corpus(DATA / "corpus.jsonl")]


def run_backend(settings: Settings, store: Store, encoder: Encoder, tokenizer: Tokenizer,
                tokens: list[list[str]], vectors: np.ndarray) -> dict[str, object]:
    start = time.perf_counter()
    report = sync_index(settings, KIND, store, encoder=encoder, tokenizer=tokenizer, full=True)
    ingest_s = time.perf_counter() - start
    index = open_index(settings, KIND, encoder=encoder, tokenizer=tokenizer)
    n = len(tokens)
    tops: dict[str, list[list[str]]] = {"lexical": [], "dense": [], "hybrid": []}

    def lexical(i: int) -> list[str]:
        return index.search_lexical(tokens[i], k=K).ids

    def dense(i: int) -> list[str]:
        return index.search_dense(vectors[i], k=K).ids

    def hybrid(i: int) -> list[str]:
        return _hybrid(index, tokens[i], vectors[i])

    out: dict[str, object] = {"docs": report.upserted, "ingest_s": ingest_s,
                              "generation": report.generation}
    for mode, fn in (("lexical", lexical), ("dense", dense), ("hybrid", hybrid)):
        out[mode] = latencies(fn, n)
        tops[mode] = [fn(i) for i in range(n)]
    out["tops"] = tops
    index.close()
    return out


def _hybrid(index: Index, tokens: list[str], vector: np.ndarray) -> list[str]:
    lists = [index.search_lexical(tokens, k=DEPTH), index.search_dense(vector, k=DEPTH)]
    return rrf(lists).ids[:K]


def agreement(a: list[list[str]], b: list[list[str]]) -> tuple[float, float]:
    """(share of queries with identical top-10 lists, mean overlap of the top-10 sets)."""
    same = np.mean([x == y for x, y in zip(a, b, strict=True)])
    overlap = np.mean([len(set(x) & set(y)) / max(len(x), 1) for x, y in zip(a, b, strict=True)])
    return float(same), float(overlap)


def es_version(url: str) -> str:
    nodes = es_cluster.request_json(url.split(",")[0], "/_nodes/_local",
                                    {"filter_path": "nodes.*.version,nodes.*.jvm.version"})
    node = next(iter(nodes["nodes"].values()))
    return f"Elasticsearch {node['version']} on JDK {node['jvm']['version']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="Elasticsearch URL (default: start a node for the run)")
    parser.add_argument("--encoder", choices=("hash", "e5"), default="hash")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work" / "es")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    load_before = os.getloadavg()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    cluster = None if args.url else es_cluster.start_cluster(1, name="techmatch-bench",
                                                             heap="1g")
    url = args.url or (cluster.url if cluster else "")
    try:
        result = bench(args, url)
        result["server"] = es_version(url)
    finally:
        if cluster is not None:
            cluster.stop()
    result["load"] = (load_before, os.getloadavg())
    args.out.write_text(render(result, args), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


def bench(args: argparse.Namespace, url: str) -> dict[str, object]:
    tokenizer = Tokenizer()
    base = Settings(home=args.work, threads=1)
    encoder: Encoder = Hash384()
    if args.encoder == "e5":
        encoder = CachedEncoder(build_encoder("e5-small", threads=1),
                                base.vector_cache_dir)
    store = Store(args.work / "store.sqlite")
    store.upsert(records())
    queries = [json.loads(line)["text"] for line in
               (DATA / "queries.jsonl").read_text(encoding="utf-8").splitlines()][:args.queries]
    tokens = [tokenizer.tokens(q) for q in queries]
    vectors = encoder.encode_queries(queries)
    embedded = run_backend(base.model_copy(update={"backend": "embedded"}), store, encoder,
                           tokenizer, tokens, vectors)
    elastic = run_backend(base.model_copy(update={"backend": "elasticsearch", "es_url": url,
                                                  "es_index_prefix": "tmbench"}),
                          store, encoder, tokenizer, tokens, vectors)
    store.close()
    return {"embedded": embedded, "elasticsearch": elastic, "queries": len(queries),
            "encoder": encoder.id}


def render(r: dict[str, object], args: argparse.Namespace) -> str:
    emb, es = r["embedded"], r["elasticsearch"]
    assert isinstance(emb, dict) and isinstance(es, dict)
    (b1, b5, b15), (a1, a5, a15) = r["load"]  # type: ignore[misc]
    lines = [
        "# Embedded vs Elasticsearch: ingest and search on csl-kw-dev", "",
        f"Command: `OMP_NUM_THREADS=1 .venv/bin/python bench/es_bench.py --encoder "
        f"{args.encoder} --queries {args.queries}{' --url …' if args.url else ''}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average before "
        f"{b1:.1f} / {b5:.1f} / {b15:.1f}, after {a1:.1f} / {a5:.1f} / {a15:.1f} (1/5/15 min; "
        "other jobs shared the machine).  ",
        f"Server: {r['server']}, single node on loopback, heap 1 GB, 1 shard, 0 replicas "
        "(defaults of the test service).  ",
        f"Encoder: `{r['encoder']}`; {r['queries']} queries, one thread, top-{K}; hybrid = "
        f"lexical + dense at depth {DEPTH}, RRF (k=60).", "",
        "| | embedded (tantivy + faiss) | Elasticsearch |", "|---|---|---|",
        f"| ingest: `sync_index(full=True)` of {emb['docs']} docs | {emb['ingest_s']:.1f} s "
        f"({emb['docs'] / emb['ingest_s']:.0f} docs/s) | {es['ingest_s']:.1f} s "
        f"({es['docs'] / es['ingest_s']:.0f} docs/s) |",
    ]
    for mode in ("lexical", "dense", "hybrid"):
        cells = []
        for side in (emb, es):
            ms = side[mode]
            cells.append(f"p50 {np.percentile(ms, 50):.2f} / p95 {np.percentile(ms, 95):.2f} / "
                         f"p99 {np.percentile(ms, 99):.2f} ms")
        lines.append(f"| {mode} search latency | {cells[0]} | {cells[1]} |")
    lines += ["", "Agreement of the top-10 lists (same queries, same tokens, same vectors):", "",
              "| mode | identical top-10 | mean top-10 overlap |", "|---|---|---|"]
    for mode in ("lexical", "dense", "hybrid"):
        same, overlap = agreement(emb["tops"][mode], es["tops"][mode])
        lines.append(f"| {mode} | {same:.1%} | {overlap:.1%} |")
    lines += ["", "Elasticsearch latency includes the HTTP round trip on loopback and JSON "
              "(de)serialisation in the Python client. Both backends search vectors exactly "
              "below TECHMATCH_DENSE_EXACT_MAX (faiss flat; Elasticsearch `flat` index "
              "options), so the dense and hybrid lists can agree exactly.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
