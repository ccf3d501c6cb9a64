"""Store benchmark: the same ingest, search and batch on the embedded SQLite store and on a
PostgreSQL server, side by side, in one run.

Data: csl-kw-dev (../shared/eval) — its papers and patents as achievements, its queries as
needs. Vectors: HashEncoder (no model: the store is what is measured, the index is the same
embedded tantivy + faiss for both stores). The PostgreSQL server is a throw-away cluster
started like the tests start it (Debian's binaries, loopback, default durability:
fsync on, synchronous_commit on); SQLite runs in WAL mode with synchronous=NORMAL, as the
store opens it.

Phases per store:
- ingest, bulk: all achievements + needs, 1,000 records per transaction (as `techmatch
  ingest` / the batch API write them);
- ingest, single: `--single` records one transaction each (as single API writes do);
- read: `store.get` of one record and `get_many` of 10 (the hydration search does);
- search: `MatchService.search` top-10 over achievements (index + store);
- batch: `run_batch` over every open need, achievements, k=10, no explanations; then a rerun
  with nothing changed.

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


def records(limit: int) -> tuple[list[Record], list[Need]]:
    corpus = list(read_corpus(DATA / "corpus.jsonl"))[:limit]
    queries = list(read_queries(DATA / "queries.jsonl")[0].items())
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


def bench_store(label: str, target: str | Path, home: Path, achievements: list[Record],
                needs: list[Need], args: argparse.Namespace) -> dict[str, float]:
    out: dict[str, float] = {}
    store = Store(target)
    everything: list[Record] = [*achievements, *needs]
    out["ingest_bulk_s"] = timed(lambda: [store.upsert(everything[i:i + 1000])
                                          for i in range(0, len(everything), 1000)])
    singles = [Need(id=f"S-{i:05d}", title=f"单条写入需求 {i}", description="单条写入")
               for i in range(args.single)]
    out["ingest_single_s"] = timed(lambda: [store.upsert([r]) for r in singles])
    ids = [r.id for r in achievements]
    gets = [timed(lambda i=i: store.get(ids[i * 7 % len(ids)])) for i in range(args.reads)]
    many = [timed(lambda i=i: store.get_many(ids[i * 10 % len(ids):][:10]))
            for i in range(args.reads)]
    out["get_p50_ms"], out["get_p99_ms"] = percentiles(gets)
    out["get_many10_p50_ms"], out["get_many10_p99_ms"] = percentiles(many)
    settings = Settings(home=home, threads=1)
    engine = Engine(settings=settings, store=store, tokenizer=Tokenizer(),
                    encoder=HashEncoder())  # type: ignore[arg-type]
    out["index_s"] = timed(lambda: engine.sync(("achievement", "need")))
    service = MatchService(engine)
    texts = [n.description or n.title for n in needs[:args.queries]]
    service.search(texts[0], kind="achievement", k=10)  # warm caches
    searches = [timed(lambda t=t: service.search(t, kind="achievement", k=10, explain=False))
                for t in texts]
    out["search_p50_ms"], out["search_p99_ms"] = percentiles(searches)
    options = BatchOptions(kinds=("achievement",), k=10, chunk=64, explain=False)
    out["batch_s"] = timed(lambda: run_batch(engine, options, service=service))
    out["batch_rerun_s"] = timed(lambda: run_batch(engine, options, service=service))
    out["needs"] = float(len(needs) + args.single)
    engine.close()
    print(label, out, flush=True)
    return out


ROWS = [("ingest_bulk_s", "ingest, 1,000 records per transaction (s, all records)"),
        ("ingest_single_s", "ingest, one record per transaction (s, --single records)"),
        ("get_p50_ms", "get one record p50 (ms)"), ("get_p99_ms", "get one record p99 (ms)"),
        ("get_many10_p50_ms", "get_many 10 ids p50 (ms)"),
        ("get_many10_p99_ms", "get_many 10 ids p99 (ms)"),
        ("index_s", "index build from the store (s)"),
        ("search_p50_ms", "search top-10 p50 (ms)"), ("search_p99_ms", "search top-10 p99 (ms)"),
        ("batch_s", "batch run, every open need (s)"),
        ("batch_rerun_s", "batch rerun, nothing changed (s)")]


def report(results: dict[str, dict[str, float]], args: argparse.Namespace, n: int,
           load: tuple[float, float]) -> str:
    lines = ["# Store benchmark: SQLite (embedded) and PostgreSQL side by side", "",
             f"Command: `OMP_NUM_THREADS=1 .venv/bin/python bench/store_bench.py --achievements "
             f"{args.achievements} --single {args.single} --reads {args.reads} "
             f"--queries {args.queries}`", "",
             f"- records: {n:,} (csl-kw-dev achievements + needs) + {args.single} single writes",
             "- encoder: HashEncoder (no model; same embedded index for both stores)",
             "- PostgreSQL 15 on loopback (fsync on); SQLite WAL, synchronous=NORMAL",
             f"- machine: 2 cores; load average {load[0]:.1f} at start, {load[1]:.1f} at end "
             "(other jobs running: absolute numbers are pessimistic, the ratio is the point)",
             "", "| phase | SQLite | PostgreSQL | PG / SQLite |", "|---|---:|---:|---:|"]
    for key, label in ROWS:
        s, p = results["sqlite"][key], results["postgresql"][key]
        lines.append(f"| {label} | {s:.2f} | {p:.2f} | {p / s if s else float('nan'):.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--achievements", type=int, default=5659)
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    achievements, needs = records(args.achievements)
    work = Path(tempfile.mkdtemp(prefix="store-bench-"))
    server = start_server()
    try:
        results = {
            "sqlite": bench_store("sqlite", work / "sqlite" / "store.sqlite", work / "sqlite",
                                  achievements, needs, args),
            "postgresql": bench_store("postgresql", server.create_database("bench"),
                                      work / "pg", achievements, needs, args),
        }
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    text = report(results, args, len(achievements) + len(needs),
                  (load_start, os.getloadavg()[0]))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
