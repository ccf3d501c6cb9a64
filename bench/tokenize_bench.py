"""Tokenisation benchmark: jieba vs the compiled segmenter vs raw rjieba.

    OMP_NUM_THREADS=1 .venv/bin/python bench/tokenize_bench.py [--docs 3000] [--rounds 3]

Texts: titles + abstracts of csl-kw-dev and csl-title-dev (../shared/eval, by path), normalised
as the index normalises them. Rows, measured in the same run, rounds interleaved (the best
round of each is reported, and the ratio of medians beside it):
- `jieba.cut_for_search` (the reference; what the index used before),
- `Tokenizer.segment` (techmatch.indexers.segment: jieba's algorithm compiled, `_jiebafast.c`),
- raw `rjieba.cut_for_search` (NOT identical: shown as the ceiling),
- `Tokenizer.tokens` end to end (normalise + segment + filters) vs `Tokenizer.tokens_jieba`
  (the same filters over jieba's segments: the reference).
Token identity with jieba is counted over every text. Each round is timed by wall clock and by
this process's CPU time (on a shared machine the wall clock follows the other jobs). Writes
bench/results/tokenize_bench.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench_report import fmt_load, write_report

from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
OUT = ROOT / "bench" / "results" / "tokenize_bench.md"


def texts(limit: int) -> list[str]:
    out = []
    for name in ("csl-kw-dev", "csl-title-dev"):
        with open(EVAL / name / "corpus.jsonl", encoding="utf-8") as handle:
            for line in itertools.islice(handle, limit // 2):
                row = json.loads(line)
                out.append(f"{row.get('title', '')}\n{row['text']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    import rjieba

    load_start = os.getloadavg()
    tok = Tokenizer()
    raw = texts(args.docs)
    norm = [normalize(t) for t in raw]
    raw_rj = rjieba.Jieba()
    same_seg = sum(tok.segment(t) == tok.segment_jieba(t) for t in norm)
    same_tok = sum(tok.tokens(t) == tok.tokens_jieba(t) for t in raw)
    systems: dict[str, Callable[[], object]] = {
        "jieba cut_for_search (reference)": lambda: [tok.segment_jieba(t) for t in norm],
        "Tokenizer.segment (compiled, identical)": lambda: [tok.segment(t) for t in norm],
        "raw rjieba cut_for_search (not identical)": lambda: [raw_rj.cut_for_search(t)
                                                              for t in norm],
        "Tokenizer.tokens_jieba (reference)": lambda: [tok.tokens_jieba(t) for t in raw],
        "Tokenizer.tokens (compiled)": lambda: [tok.tokens(t) for t in raw],
    }
    times: dict[str, list[float]] = {name: [] for name in systems}
    cpu: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(args.rounds):
        for name, fn in systems.items():
            start, cpu_start = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - cpu_start)
    chars = sum(map(len, norm))
    ref_seg = times["jieba cut_for_search (reference)"]
    ref_tok = times["Tokenizer.tokens_jieba (reference)"]
    lines = [
        "# Tokenisation: jieba vs the compiled segmenter", "",
        f"Command: `OMP_NUM_THREADS=1 .venv/bin/python bench/tokenize_bench.py --docs {args.docs} "
        f"--rounds {args.rounds}`  ",
        f"Machine: {os.cpu_count()} cores, CPython {platform.python_version()}, one thread. "
        f"**Shared machine, other jobs running**: load average {fmt_load(load_start)} "
        f"at the start, {fmt_load(os.getloadavg())} at the end; rounds interleaved so every "
        "row saw the same load.  ",
        f"Texts: {len(raw):,} titles + abstracts (half csl-kw-dev, half csl-title-dev), "
        f"{chars:,} characters after normalisation.  ",
        f"Identical to jieba: segments {same_seg:,}/{len(norm):,} texts; tokens "
        f"{same_tok:,}/{len(raw):,} texts.", "",
        "| system | best s | median s | docs/s (best) | × jieba (best) | × jieba (median) | "
        "best CPU s | × jieba (CPU, best) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, ts in times.items():
        ref = ref_tok if "tokens" in name else ref_seg
        ref_cpu = cpu["Tokenizer.tokens_jieba (reference)" if "tokens" in name
                      else "jieba cut_for_search (reference)"]
        lines.append(f"| {name} | {min(ts):.2f} | {statistics.median(ts):.2f} | "
                     f"{len(raw) / min(ts):,.0f} | {min(ref) / min(ts):.1f} | "
                     f"{statistics.median(ref) / statistics.median(ts):.1f} | "
                     f"{min(cpu[name]):.2f} | {min(ref_cpu) / min(cpu[name]):.1f} |")
    lines.append("")
    write_report(args.out, lines)


if __name__ == "__main__":
    main()
