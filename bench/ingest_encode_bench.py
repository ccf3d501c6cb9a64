"""Ingest encoding rate vs the encoder's raw rate (e5-small), measured in the same run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/ingest_encode_bench.py [--passages 256] [--rounds 2]

Raw: `encoder.encode_passages(texts)` on N csl-title-dev passages (titles withheld, as the
dataset gives them) in one call. Ingest: the same N records stored and indexed by
`Engine.sync` into a fresh home with an empty vector cache — tokenise, encode through the
content-hash cache in chunks, tantivy, faiss, publish — so the rate includes everything an
index build does around encoding. Rounds alternate raw / ingest so both see the same load;
the best round of each is reported, by wall clock and by CPU time (process + children: on a
shared machine the wall clock follows the other jobs). Writes bench/results/ingest_encode_bench.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from bench_report import fmt_load, write_report  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.indexers.encoders import build_encoder  # noqa: E402
from techmatch.indexers.ingest.normalize import normalize  # noqa: E402
from techmatch.indexers.vector_cache import CachedEncoder  # noqa: E402
from techmatch.matcher.engine import Engine  # noqa: E402
from techmatch.models.records import Achievement  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "eval" / "csl-title-dev" / "corpus.jsonl"
OUT = ROOT / "bench" / "results" / "ingest_encode_bench.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    load_start = os.getloadavg()
    with open(DATA, encoding="utf-8") as handle:
        rows = [json.loads(x) for x in itertools.islice(handle, 2000, 2000 + args.passages)]
    records = [Achievement(id=r["_id"], title=r.get("title", ""), abstract=r["text"])
               for r in rows]
    texts = [normalize(r.text(), lower=False) for r in records]
    encoder = build_encoder("e5-small", threads=args.threads)
    encoder.encode_passages(texts[:8])  # load weights, warm kernels
    raw_s, ingest_s, encoded = [], [], 0
    raw_cpu: list[float] = []
    ingest_cpu: list[float] = []
    for _ in range(args.rounds):
        start, cpu = time.perf_counter(), cpu_seconds()
        encoder.encode_passages(texts)
        raw_s.append(time.perf_counter() - start)
        raw_cpu.append(cpu_seconds() - cpu)
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            settings = Settings(home=home, threads=args.threads, cache_dir=Path(tmp) / "cache")
            engine = Engine.open(settings, encoder=CachedEncoder(  # type: ignore[arg-type]
                encoder, settings.vector_cache_dir))
            engine.store.upsert(records)
            start, cpu = time.perf_counter(), cpu_seconds()
            report = engine.sync(("achievement",))[0]
            ingest_s.append(time.perf_counter() - start)
            ingest_cpu.append(cpu_seconds() - cpu)
            encoded = report.encoded
            engine.close()
            shutil.rmtree(home, ignore_errors=True)
    n = len(texts)
    raw_rate, ingest_rate = n / min(raw_s), n / min(ingest_s)
    lines = [
        "# Ingest encoding rate vs the raw encoder", "",
        f"Command: `OMP_NUM_THREADS=1 .venv/bin/python bench/ingest_encode_bench.py "
        f"--passages {args.passages} --rounds {args.rounds} --threads {args.threads}`  ",
        f"Machine: {os.cpu_count()} cores, CPython {platform.python_version()}, "
        f"{args.threads} encoder thread(s). **Shared machine, other jobs running**: load "
        f"average {fmt_load(load_start)} at the start, {fmt_load(os.getloadavg())} at the end.  ",
        f"{n} csl-title-dev passages ({sum(map(len, texts)):,} characters); encoder "
        f"{encoder.id}; rounds alternate raw / ingest.", "",
        "| path | seconds per round | CPU seconds per round | passages/s (best round) | "
        "passages per CPU second (best) |", "|---|---|---|---:|---:|",
        f"| raw `encode_passages` (one call) | {', '.join(f'{s:.1f}' for s in raw_s)} | "
        f"{', '.join(f'{s:.1f}' for s in raw_cpu)} | {raw_rate:.1f} | "
        f"{n / min(raw_cpu):.1f} |",
        f"| ingest: `Engine.sync` into an empty home and cache (encoded {encoded}) | "
        f"{', '.join(f'{s:.1f}' for s in ingest_s)} | "
        f"{', '.join(f'{s:.1f}' for s in ingest_cpu)} | {ingest_rate:.1f} | "
        f"{n / min(ingest_cpu):.1f} |", "",
        f"Ingest / raw = **{ingest_rate / raw_rate:.2f}** by wall clock (best rounds), "
        f"**{min(raw_cpu) / min(ingest_cpu):.2f}** by CPU time (this process and its children: "
        "less sensitive to the other jobs on the machine).", ""]
    write_report(args.out, lines)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":
    main()
