"""Query precision of e5-small (fp32 / bf16 / int8, techmatch/indexers/e5q4.py): time per query,
cosine to fp32, and whether evaluation changes.

For csl-kw-dev and csl-title-dev: every query encoded under each precision (min / mean cosine
to fp32), then each set scored once per precision — same index, same passage vectors, only the
query vectors differ — with the paired randomisation test of each precision against fp32.
`--timing` instead times one query per call (median and p99 over the first 400 queries of the
two sets) — run that part at normal priority under the bench lock; the evaluation part is not a
timing (nice it).

    TECHMATCH_CACHE_DIR=/tmp/tm-cache .venv/bin/python bench/query_precision.py --timing \
        --out /tmp/timing.md
    TECHMATCH_CACHE_DIR=/tmp/tm-cache nice -n 15 .venv/bin/python bench/query_precision.py \
        --timing-from /tmp/timing.md

Writes bench/results/query_precision.md (or --out).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SETS = ("csl-kw-dev", "csl-title-dev")
METRICS = ("ndcg@10", "recall@100")
PRECISIONS = ("fp32", "bf16", "int8")


def queries(set_name: str) -> list[str]:
    from techmatch.eval.datasets import load_dataset
    from techmatch.indexers.ingest.normalize import normalize

    dataset = load_dataset(ROOT.parent / "shared" / "eval" / set_name, "dev")
    return [normalize(dataset.queries[q], lower=False) for q in dataset.query_ids()]


def timing(out: Path) -> None:
    from bench_report import fmt_load, write_report

    from techmatch.indexers.encoders import E5SmallTorchEncoder

    load0 = os.getloadavg()
    texts = [q for s in SETS for q in queries(s)[:200]]
    enc = E5SmallTorchEncoder(threads=1)
    lines = ["| precision | p50 ms | p99 ms | in effect |", "|---|---:|---:|---|"]
    for precision in PRECISIONS:
        used = enc._model.set_query_precision(precision)
        enc.encode_queries(texts[:4])
        ms = []
        for text in texts:
            start = time.perf_counter()
            enc.encode_queries([text])
            ms.append((time.perf_counter() - start) * 1000)
        lines.append(f"| {precision} | {np.percentile(ms, 50):.1f} | "
                     f"{np.percentile(ms, 99):.1f} | {used} |")
    lines += ["", f"One query per call, {len(texts)} queries (the first 200 of each set), one "
              f"thread. Load average before {fmt_load(load0)}, after "
              f"{fmt_load(os.getloadavg())}."]
    write_report(out, lines)


def evaluation(args: argparse.Namespace) -> None:
    from bench_report import fmt_load, write_report

    from techmatch.config import Settings
    from techmatch.eval.runner import EvalOptions, run_evaluation
    from techmatch.eval.significance import compare
    from techmatch.indexers.encoders import E5SmallTorchEncoder
    from techmatch.indexers.vector_cache import CachedEncoder

    settings = Settings(home=args.home, threads=1)
    configs = tuple(c for c in args.configs.split(",") if c)
    load0 = os.getloadavg()
    lines = ["# e5-small query precision: time, cosine to fp32, evaluation", "",
             f"Commands: `.venv/bin/python bench/query_precision.py --timing` (normal priority, "
             f"under the bench lock), then `nice -n 15 .venv/bin/python bench/query_precision.py "
             f"--configs {args.configs}`  ", f"Machine: {os.cpu_count()} cores, shared.", "",
             "## Time per query", ""]
    if args.timing_from is not None:
        lines += [args.timing_from.read_text("utf-8"), ""]
    raw = E5SmallTorchEncoder(threads=1)
    for set_name in SETS:
        path = ROOT.parent / "shared" / "eval" / set_name
        texts = queries(set_name)
        started = time.perf_counter()
        vecs, reports, used = {}, {}, {}
        for precision in PRECISIONS:
            used[precision] = raw._model.set_query_precision(precision)
            vecs[precision] = raw.encode_queries(texts)
            encoder = CachedEncoder(raw, settings.vector_cache_dir)
            reports[precision] = run_evaluation(path, settings, EvalOptions(configs=configs),
                                                encoder=encoder)  # type: ignore[arg-type]
        lines += [f"## {set_name} ({len(texts)} queries, {time.perf_counter() - started:.0f} s)",
                  "", "| precision (in effect) | min cosine to fp32 | mean |",
                  "|---|---:|---:|"]
        for precision in PRECISIONS[1:]:
            cos = np.sum(vecs["fp32"] * vecs[precision], axis=1)
            lines.append(f"| {precision} ({used[precision]}) | {cos.min():.5f} | "
                         f"{cos.mean():.5f} |")
        lines += ["", "| configuration | metric | fp32 | bf16 | int8 | Δ bf16 (p) | Δ int8 (p) |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for cfg in configs:
            for metric in METRICS:
                per = {p: reports[p]["per_query"][cfg][metric] for p in PRECISIONS}
                cells = [f"{np.mean(list(per[p].values())):.4f}" for p in PRECISIONS]
                tests = [compare(per[p], per["fp32"]) for p in PRECISIONS[1:]]
                lines.append(f"| {cfg} | {metric} | " + " | ".join(cells) + " | " + " | ".join(
                    f"{t['delta']:+.4f} ({t['p_randomization']:.3f})" for t in tests) + " |")
        lines.append("")
    lines.append(f"Load average before {fmt_load(load0)}, after {fmt_load(os.getloadavg())} "
                 f"(evaluation part).")
    write_report(args.out, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/tm-precision-eval"))
    parser.add_argument("--configs", default="dense,hybrid-weighted,default,ranker-default")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--timing-from", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" /
                        "query_precision.md")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.timing:
        timing(args.out)
    else:
        evaluation(args)


if __name__ == "__main__":
    main()
