"""Scale benchmark on the synthetic home `build_1m.py` wrote: latency, memory, ANN recall, BM25.

    nice -n 15 .venv/bin/python bench/bench_1m.py --out-dir /tmp/tm-1m --prepare-bm25s
    flock <lock> .venv/bin/python bench/bench_1m.py --out-dir /tmp/tm-1m [--queries 200]

In one process, one thread unless --threads (TECHMATCH_THREADS), csl-kw-dev queries (first N):
- the e5-small query encoder alone (the peer every query pays);
- hybrid top-10 through `Engine.retriever()` (tokenise + encode + tantivy + faiss HNSW + RRF);
- hybrid top-10 through `MatchService.search` (+ features, ranker, confidence), with and
  without explanations — the service path an API request takes, network excluded;
- resident memory (VmRSS / VmHWM) of this serving process after opening and after queries;
- ANN recall@10 of the HNSW graph against an exact scan of `vectors.npy`, for several efSearch,
  with per-query latency;
- tantivy BM25 top-10 / top-100 against bm25s (lucene variant) over the same tokens, both
  queried here; the bm25s index is built beforehand by `--prepare-bm25s` (the same
  `to_document` tokens, in worker processes) and loaded after the memory figures are taken.
Quality is not measured: the 1M corpus is recombined text (see build_1m.py).
Writes bench/results/scale_1m.md (or --out).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.indexers.embedded.sync import _documents  # noqa: E402
from techmatch.indexers.encoders import build_encoder  # noqa: E402
from techmatch.indexers.vector_cache import CachedEncoder  # noqa: E402
from techmatch.matcher.engine import Engine  # noqa: E402
from techmatch.matcher.service import MatchService  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "csl-kw-dev"
OUT = ROOT / "bench" / "results" / "scale_1m.md"
K = 10
EF_SEARCH = (32, 64, 128, 256)
BM25S_DIR = "bm25s"


def queries_from(start: int, n: int) -> list[str]:
    """csl-kw-dev query texts start … start + n - 1 (fewer at the end of the file)."""
    with (DEV / "queries.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(x)["text"] for x in itertools.islice(handle, start, start + n)]


def memory_mb() -> dict[str, float]:
    """VmRSS, VmHWM (peak), RssAnon and RssFile (mapped files) of this process, MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def latencies(fn: Callable[[int], object], n: int) -> np.ndarray:
    """Milliseconds per call of fn(i), i < n, after 3 warm-up calls."""
    for i in range(min(3, n)):
        fn(i)
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return np.asarray(out)


def row(name: str, ms: np.ndarray, note: str = "") -> list[str]:
    return [name, f"{np.percentile(ms, 50):.2f}", f"{np.percentile(ms, 99):.2f}",
            f"{ms.mean():.2f}", note]


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """(len(queries), k) row numbers of the exact inner-product top-k, scanning in blocks."""
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_r = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(vectors), 100_000):
        block = np.asarray(vectors[start:start + 100_000], dtype=np.float32)
        scores = queries @ block.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(scores, top, 1)], axis=1)
        cand_r = np.concatenate([best_r, top + start], axis=1)
        keep = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(cand_s, keep, 1)
        best_r = np.take_along_axis(cand_r, keep, 1)
    return best_r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", type=Path, default=Path("/tmp/tm-1m"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--bm25s", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op / faiss threads of the serving process (default 1)")
    parser.add_argument("--prepare-bm25s", action="store_true",
                        help="only tokenise + index the peer (bm25s) into <out-dir>/bm25s")
    parser.add_argument("--lexical-only", action="store_true",
                        help="only the tantivy vs bm25s section (when the peer was not ready "
                             "for the main run)")
    args = parser.parse_args()
    if args.prepare_bm25s:
        settings = Settings(home=args.out_dir / "home", threads=1,
                            cache_dir=args.out_dir / "cache")
        engine = Engine.open(settings, encoder=CachedEncoder(
            build_encoder("e5-small", threads=1), settings.vector_cache_dir))
        prepare_bm25s(engine, args.out_dir)
        engine.close()
        return
    load_start = os.getloadavg()
    build = json.loads((args.out_dir / "build.json").read_text(encoding="utf-8"))
    queries = queries_from(0, args.queries)
    settings = Settings(home=args.out_dir / "home", threads=args.threads,
                        cache_dir=args.out_dir / "cache")
    mem0 = memory_mb()
    started = time.perf_counter()
    encoder = CachedEncoder(build_encoder("e5-small", threads=args.threads),
                            settings.vector_cache_dir)
    engine = Engine.open(settings, encoder=encoder)  # type: ignore[arg-type]
    index = engine.index("achievement")
    service = MatchService(engine)
    open_s = time.perf_counter() - started
    mem_open = memory_mb()
    n = len(queries)
    if args.lexical_only:
        lex_rows = lexical_rows(engine, index, queries, True, args.out_dir)
        write(args, build, load_start, open_s, mem0, mem_open, mem_open, [], [], lex_rows,
              index.count())
        engine.close()
        return
    rows = [row("encode query (e5-small, the peer every query pays)",
                latencies(lambda i: encoder.encode_queries([queries[i]]), n))]
    rows.append(row("hybrid top-10, Engine.retriever() (tokenise + encode + tantivy + HNSW "
                    "+ RRF)", latencies(lambda i: engine.retriever().search(
                        queries[i], kind="achievement", k=K), n)))
    # The service caches candidates' token sets by text: each path gets queries whose
    # candidates it has not seen (cold, as fresh queries over 1M records mostly are), and the
    # first set is then repeated (warm) to show what that cache is worth.
    other = queries_from(args.queries, args.queries)
    rows.append(row("hybrid top-10, MatchService.search explain=False (cold)",
                    latencies(lambda i: service.search(queries[i], kind="achievement", k=K,
                                                       explain=False), n)))
    rows.append(row("hybrid top-10, MatchService.search explained (cold)",
                    latencies(lambda i: service.search(other[i], kind="achievement", k=K),
                              len(other)),
                    f"queries {args.queries}–{args.queries + len(other) - 1}"))
    rows.append(row("hybrid top-10, MatchService.search explain=False (warm: same queries "
                    "again)", latencies(lambda i: service.search(
                        queries[i], kind="achievement", k=K, explain=False), n)))
    # Same-run peer: the service as before the token-set cache (tokenises every candidate text
    # it has not seen in this process) against the service reading the cache, on a third set of
    # fresh queries, interleaved query by query (order alternating) so that neither gets the
    # other's warmed store / index pages more often.
    plain, cached = MatchService(engine), MatchService(engine)
    plain.tokens_many = lambda texts: {t: plain.tokens(t) for t in texts}  # type: ignore[method-assign]
    third = queries_from(2 * args.queries, args.queries)
    for svc in (cached, plain):  # warm-up (opens the token-set file) on seen queries
        for text in queries[:3]:
            svc.search(text, kind="achievement", k=K, explain=False)
    ms_on, ms_off = [], []
    for i, text in enumerate(third):
        for svc, out in ([(cached, ms_on), (plain, ms_off)] if i % 2 == 0
                         else [(plain, ms_off), (cached, ms_on)]):
            start = time.perf_counter()
            svc.search(text, kind="achievement", k=K, explain=False)
            out.append((time.perf_counter() - start) * 1000)
    note = f"queries {2 * args.queries}–{2 * args.queries + len(third) - 1}, interleaved"
    rows.append(row("hybrid top-10, MatchService.search explain=False (cold), token-set cache "
                    "on", np.array(ms_on), note))
    rows.append(row("hybrid top-10, MatchService.search explain=False (cold), token-set cache "
                    "off (peer: tokenises candidates)", np.array(ms_off), note))
    mem_serve = memory_mb()

    qvecs = encoder.encode_queries(queries)
    dense = index._dense  # type: ignore[attr-defined]
    vectors = index._vectors  # type: ignore[attr-defined]
    truth = exact_top(vectors, qvecs, K)
    ann_rows = []
    if dense.dense_type == "hnsw":
        hnsw = faiss.downcast_index(dense.index.index)
        for ef in EF_SEARCH:
            hnsw.hnsw.efSearch = ef
            found = [dense.rows.rows_of_keys(dense.index.search(qvecs[i:i + 1], K)[1][0])
                     for i in range(n)]
            recall = np.mean([len(set(truth[i]) & set(found[i])) / K for i in range(n)])
            ms = latencies(lambda i: dense.index.search(qvecs[i:i + 1], K), n)
            ann_rows.append([str(ef), f"{recall:.4f}", f"{np.percentile(ms, 50):.3f}",
                             f"{np.percentile(ms, 99):.3f}"])
        hnsw.hnsw.efSearch = dense_default()
    ms_exact = latencies(lambda i: exact_top(vectors, qvecs[i:i + 1], K), min(n, 20))
    ann_rows.append(["exact scan (numpy, blocks of 100k)", "1.0000",
                     f"{np.percentile(ms_exact, 50):.3f}", f"{np.percentile(ms_exact, 99):.3f}"])

    lex_rows = lexical_rows(engine, index, queries, args.bm25s, args.out_dir)
    write(args, build, load_start, open_s, mem0, mem_open, mem_serve, rows, ann_rows, lex_rows,
          index.count())
    engine.close()


def dense_default() -> int:
    from techmatch.indexers.embedded.dense import HNSW_EF_SEARCH

    return HNSW_EF_SEARCH


def prepare_bm25s(engine: Engine, out_dir: Path) -> None:
    """Tokenise the stored records (2 worker processes) and index them with bm25s (lucene),
    saved to `<out_dir>/bm25s`: the peer's build is not timed against anything, so it runs
    before the timed bench (`--prepare-bm25s`, niced) and only its queries run in the bench."""
    import bm25s

    started = time.perf_counter()
    ids, corpus, vocab_ids = [], [], {}  # tokens as int32 arrays: 1M lists of str need ~10 GB
    records = engine.store.iter_records("achievement")
    for docs in _documents(records, engine.tokenizer, workers=2, parallel_min=0):
        for doc in docs:
            ids.append(doc.id)
            corpus.append(np.fromiter((vocab_ids.setdefault(t, len(vocab_ids))
                                       for t in doc.tokens), dtype=np.int32))
    tok_s = time.perf_counter() - started
    started = time.perf_counter()
    bm25 = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    bm25.index((corpus, vocab_ids), show_progress=False)
    index_s = time.perf_counter() - started
    saved = out_dir / BM25S_DIR
    bm25.save(str(saved))
    (saved / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
    (saved / "prepare.json").write_text(json.dumps(
        {"tokenise_seconds": round(tok_s, 1), "index_seconds": round(index_s, 1),
         "nice": os.nice(0), "documents": len(ids)}), encoding="utf-8")


def lexical_rows(engine: Engine, index: object, queries: list[str], with_bm25s: bool,
                 out_dir: Path) -> list[list[str]]:
    """tantivy vs bm25s (same tokens) at top-10 and top-100."""
    q_tokens = [engine.tokenizer.tokens(q) for q in queries]
    n = len(queries)
    out = []
    for depth in (K, 100):
        ms = latencies(lambda i, d=depth: index.search_lexical(  # type: ignore[attr-defined,misc]
            q_tokens[i], k=d), n)
        out.append(row(f"tantivy BM25 top-{depth}", ms))
    if not with_bm25s:
        return out
    import bm25s

    saved = out_dir / BM25S_DIR
    if not saved.is_dir():
        prepare_bm25s(engine, out_dir)
    prep = json.loads((saved / "prepare.json").read_text(encoding="utf-8"))
    ids = json.loads((saved / "ids.json").read_text(encoding="utf-8"))
    bm25 = bm25s.BM25.load(str(saved), load_corpus=False, mmap=False)
    tok_s, index_s = prep["tokenise_seconds"], prep["index_seconds"]
    vocab = bm25.vocab_dict
    bm_q = [[t for t in dict.fromkeys(ts) if t in vocab] or [next(iter(vocab))]
            for ts in q_tokens]
    for depth in (K, 100):
        ms = latencies(lambda i, d=depth: bm25.retrieve(  # type: ignore[misc]
            [bm_q[i]], k=d, show_progress=False, n_threads=0), n)
        out.append(row(f"bm25s (lucene) top-{depth}, same tokens", ms,
                       f"built by --prepare-bm25s (nice {prep['nice']}): tokenised "
                       f"{len(ids):,} docs in {tok_s:.0f} s (2 worker processes), indexed "
                       f"in {index_s:.0f} s"))
    agree = []
    for i in range(n):
        a = set(index.search_lexical(q_tokens[i], k=K).ids)  # type: ignore[attr-defined]
        docs, _ = bm25.retrieve([bm_q[i]], k=K, show_progress=False, n_threads=0)
        agree.append(len(a & {ids[j] for j in docs[0]}) / K)
    out.append(["top-10 overlap tantivy vs bm25s", f"{np.mean(agree):.3f}", "", "", ""])
    return out


def write(args: argparse.Namespace, build: dict[str, object], load_start: tuple[float, ...],
          open_s: float, mem0: dict[str, float], mem_open: dict[str, float],
          mem_serve: dict[str, float], rows: list[list[str]], ann_rows: list[list[str]],
          lex_rows: list[list[str]], count: int) -> None:
    gen = build.get("generate_phases_seconds", {})
    sync = build.get("sync_phases_seconds", {})
    lines = [
        f"# Scale benchmark: {count:,} achievements (synthetic, see bench/build_1m.py)", "",
        f"Command: `.venv/bin/python bench/bench_1m.py --out-dir {args.out_dir} "
        f"--queries {args.queries} --threads {args.threads}` (nice {os.nice(0)}; under `flock "
        f"/tmp/helpers/bench.lock` "
        f"when run as in the results file) after `{build['command']}` and "
        f"`{build.get('sync_command', build['command'])}`  ",
        f"Machine: {os.cpu_count()} cores, CPython {platform.python_version()}, "
        f"{args.threads} thread(s) (TECHMATCH_THREADS={args.threads}). **Shared machine: other "
        f"jobs were running.** Load average "
        f"(1/5/15 min) at the start of the generation {fmt(build['load_start'])}, before the "
        f"index build {fmt(build.get('load_before_sync', build['load_start']))}, at its end "
        f"{fmt(build['load_end'])}, at the start of this bench {fmt(load_start)}, at its end "
        f"{fmt(os.getloadavg())}.  ",
        "**Quality is not measured at this scale**: texts recombine csl-kw-dev sentences and "
        "vectors are normalised mixtures of the real e5-small vectors of the source documents "
        f"({build['source_documents']} of them), so only latency, memory and ANN recall mean "
        "anything here.", "",
        "## Build", "",
        "| step | seconds |", "|---|---:|",
        f"| generate records + vectors (nice {build.get('nice', '?')}; not the build target) | "
        f"{build['generate_store_cache_seconds']} |",
        *[f"| &nbsp;&nbsp;{k} | {v} |" for k, v in gen.items()],
        f"| **`Engine.sync` from cached vectors** (nice {build.get('sync_nice', '?')}; "
        f"encoded {build['sync']['encoded']}) | "  # type: ignore[index]
        f"**{build['sync_seconds']}** |",
        *[f"| &nbsp;&nbsp;{k} | {v} |" for k, v in sync.items()],
        "", "## Query latency (ms, one query at a time, csl-kw-dev queries)", "",
        "| path | p50 | p99 | mean | note |", "|---|---:|---:|---:|---|",
        *["| " + " | ".join(r) + " |" for r in rows], "",
        "## Memory of the serving process", "",
        "| moment | VmRSS MB | VmHWM MB | RssAnon MB | RssFile MB |", "|---|---:|---:|---:|---:|",
        *[f"| {name} | {m['VmRSS']:.0f} | {m['VmHWM']:.0f} | {m['RssAnon']:.0f} | "
          f"{m['RssFile']:.0f} |" for name, m in (
              ("before opening", mem0),
              (f"engine + index + service open ({open_s:.1f} s)", mem_open),
              ("after the latency runs", mem_serve))],
        "", "## ANN recall@10 (HNSW vs exact inner product over the same vectors)", "",
        "| efSearch | recall@10 | p50 ms | p99 ms |", "|---|---:|---:|---:|",
        *["| " + " | ".join(r) + " |" for r in ann_rows], "",
        f"The index serves with efSearch = {dense_default()}.", "",
        "## Lexical: tantivy vs bm25s over the same tokens (ms)", "",
        "| system | p50 | p99 | mean | note |", "|---|---:|---:|---:|---|",
        *["| " + " | ".join(r) + " |" for r in lex_rows], ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def fmt(load: object) -> str:
    return "/".join(f"{x:.1f}" for x in load)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
