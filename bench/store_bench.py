"""Store benchmark: the same ingest, search and batch on the embedded SQLite store and on a
PostgreSQL server, side by side, in one run.

Data: csl-kw-dev (../shared/eval) — its papers and patents as achievements, its queries as
needs. Vectors: HashEncoder (no model: the store is what is measured, the index is the same
embedded tantivy + faiss for both stores). The PostgreSQL server is a throw-away cluster
started like the tests start it (Debian's binaries, loopback, default durability:
fsync on, synchronous_commit on); SQLite runs in WAL mode with synchronous=NORMAL, as the
store opens it.

The machine is shared and its load moves by the minute, so the two stores are measured
interleaved wherever the phase allows, under the same load: single writes, reads and
searches alternate store by store, the full scan alternates for three rounds, and the batch
runs S, P, P, S (full recompute) and reports each store's mean. Phases:
- ingest, bulk: all achievements + needs, 1,000 records per transaction (as `techmatch
  ingest` / the batch API write them), SQLite first;
- ingest, single: `--single` records one transaction each (as single API writes do);
- read: `store.get` of one record and `get_many` of 10 (the hydration search does);
- scan: every achievement in id order (`iter_records`, the store's part of an index build);
- index build: tantivy + faiss from the store (sequential; mostly not the store's time);
- search: `MatchService.search` top-10 over achievements (index + store hydration);
- batch: `run_batch` over the open needs (`--needs`), achievements, k=10, no explanations,
  full recompute; then a rerun with nothing changed.

    OMP_NUM_THREADS=1 .venv/bin/python bench/store_bench.py --out bench/results/store_bench.md
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the PostgreSQL server the tests start

from services.pg_server import start_server  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.eval.datasets import read_corpus, read_queries  # noqa: E402
from techmatch.indexers.encoders import HashEncoder  # noqa: E402
from techmatch.indexers.tokenize import Tokenizer  # noqa: E402
from techmatch.matcher.batch import BatchOptions, run_batch  # noqa: E402
from techmatch.matcher.engine import Engine  # noqa: E402
from techmatch.matcher.service import MatchService  # noqa: E402
from techmatch.models.records import Achievement, Need, Record  # noqa: E402
from techmatch.store import Store  # noqa: E402

DATA = ROOT.parent / "shared" / "eval" / "csl-kw-dev"


def records(limit: int, needs_limit: int) -> tuple[list[Record], list[Need]]:
    corpus = list(read_corpus(DATA / "corpus.jsonl"))[:limit]
    queries = list(read_queries(DATA / "queries.jsonl")[0].items())[:needs_limit]
    achievements: list[Record] = [Achievement(id=f"A-{d.id}", title=d.title or d.text[:30],
                                              abstract=d.text) for d in corpus]
    needs = [Need(id=f"N-{qid}", title=text[:60], description=text) for qid, text in queries]
    return achievements, needs


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1000,
            ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000)


STORES = ("sqlite", "postgresql")


def engine_for(store: Store, home: Path, tokenizer: Tokenizer) -> Engine:
    return Engine(settings=Settings(home=home, threads=1), store=store, tokenizer=tokenizer,
                  encoder=HashEncoder())  # type: ignore[arg-type]


def measure(stores: dict[str, Store], engines: dict[str, Engine], achievements: list[Record],
            needs: list[Need], args: argparse.Namespace) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {name: {} for name in STORES}
    everything: list[Record] = [*achievements, *needs]
    for name in STORES:
        out[name]["ingest_bulk_s"] = timed(lambda n=name: [
            stores[n].upsert(everything[i:i + 1000]) for i in range(0, len(everything), 1000)])
    samples: dict[str, dict[str, list[float]]] = {n: {"single": [], "get": [], "many": [],
                                                      "search": [], "scan": []} for n in STORES}
    for i in range(args.single):
        record = Need(id=f"S-{i:05d}", title=f"单条写入需求 {i}", description="单条写入")
        for name in STORES:
            samples[name]["single"].append(timed(lambda n=name, r=record: stores[n].upsert([r])))
    ids = [r.id for r in achievements]
    for i in range(args.reads):
        one, ten = ids[i * 7 % len(ids)], ids[i * 10 % len(ids):][:10]
        for name in STORES:
            samples[name]["get"].append(timed(lambda n=name, r=one: stores[n].get(r)))
            samples[name]["many"].append(timed(lambda n=name, r=ten: stores[n].get_many(r)))
    for _ in range(3):
        for name in STORES:
            samples[name]["scan"].append(timed(
                lambda n=name: sum(1 for _ in stores[n].iter_records("achievement"))))
    for name in STORES:
        out[name]["index_s"] = timed(lambda n=name: engines[n].sync(("achievement", "need")))
    services = {n: MatchService(engines[n]) for n in STORES}
    texts = [n.description or n.title for n in needs[:args.queries]]
    for name in STORES:
        services[name].search(texts[0], kind="achievement", k=10)  # warm caches
    for text in texts:
        for name in STORES:
            samples[name]["search"].append(timed(lambda n=name, t=text: services[n].search(
                t, kind="achievement", k=10, explain=False)))
    for name in STORES:
        s = samples[name]
        out[name]["ingest_single_ms"] = statistics.median(s["single"]) * 1000
        out[name]["get_p50_ms"], out[name]["get_p99_ms"] = percentiles(s["get"])
        out[name]["get_many10_p50_ms"], out[name]["get_many10_p99_ms"] = percentiles(s["many"])
        out[name]["scan_s"] = statistics.median(s["scan"])
        out[name]["search_p50_ms"], out[name]["search_p99_ms"] = percentiles(s["search"])
    full = BatchOptions(kinds=("achievement",), k=10, chunk=64, explain=False, full=True)
    runs: dict[str, list[float]] = {n: [] for n in STORES}
    for name in (*STORES, *reversed(STORES)):
        runs[name].append(timed(lambda n=name: run_batch(engines[n], full,
                                                         service=services[n])))
    again = BatchOptions(kinds=("achievement",), k=10, chunk=64, explain=False)
    for name in STORES:
        out[name]["batch_s"] = statistics.mean(runs[name])
        out[name]["batch_rerun_s"] = timed(lambda n=name: run_batch(engines[n], again,
                                                                     service=services[n]))
    return out


ROWS = [("ingest_bulk_s", "ingest, 1,000 records per transaction (s, all records)"),
        ("ingest_single_ms", "ingest, one record per transaction (ms, median)"),
        ("get_p50_ms", "get one record p50 (ms)"), ("get_p99_ms", "get one record p99 (ms)"),
        ("get_many10_p50_ms", "get_many 10 ids p50 (ms)"),
        ("get_many10_p99_ms", "get_many 10 ids p99 (ms)"),
        ("scan_s", "scan every achievement, iter_records (s, median of 3)"),
        ("index_s", "index build from the store (s; sequential, mostly not store time)"),
        ("search_p50_ms", "search top-10 p50 (ms)"), ("search_p99_ms", "search top-10 p99 (ms)"),
        ("batch_s", "batch run, full recompute (s, mean of 2)"),
        ("batch_rerun_s", "batch rerun, nothing changed (s)")]


def report(results: dict[str, dict[str, float]], args: argparse.Namespace, n: int,
           load: tuple[float, float]) -> str:
    lines = ["# Store benchmark: SQLite (embedded) and PostgreSQL side by side", "",
             f"Command: `OMP_NUM_THREADS=1 .venv/bin/python bench/store_bench.py --achievements "
             f"{args.achievements} --needs {args.needs} --single {args.single} --reads "
             f"{args.reads} --queries {args.queries} --out bench/results/store_bench.md`", "",
             f"- records: {n:,} (csl-kw-dev achievements + needs) + {args.single} single writes",
             "- encoder: HashEncoder (no model; the same embedded index for both stores)",
             "- PostgreSQL 15 on loopback (fsync on); SQLite WAL, synchronous=NORMAL",
             "- phases interleaved store by store where possible (see the script docstring)",
             f"- machine: 2 cores; load average {load[0]:.1f} at start, {load[1]:.1f} at end "
             "(other jobs running: absolute numbers are pessimistic)",
             "", "| phase | SQLite | PostgreSQL | PG / SQLite |", "|---|---:|---:|---:|"]
    for key, label in ROWS:
        s, p = results["sqlite"][key], results["postgresql"][key]
        lines.append(f"| {label} | {s:.3g} | {p:.3g} | {p / s if s else float('nan'):.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--achievements", type=int, default=5659)
    parser.add_argument("--needs", type=int, default=200)
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    achievements, needs = records(args.achievements, args.needs)
    work = Path(tempfile.mkdtemp(prefix="store-bench-"))
    server = start_server()
    tokenizer = Tokenizer()
    tokenizer.tokens("预热分词词典")  # load the dictionary before anything is timed
    stores: dict[str, Store] = {}
    try:
        stores = {"sqlite": Store(work / "sqlite" / "store.sqlite"),
                  "postgresql": Store(server.create_database("bench"))}
        engines = {name: engine_for(store, work / name, tokenizer)
                   for name, store in stores.items()}
        results = measure(stores, engines, achievements, needs, args)
    finally:
        for store in stores.values():
            store.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    text = report(results, args, len(achievements) + len(needs),
                  (load_start, os.getloadavg()[0]))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
