"""Batch at scale: 10,000 needs × 100,000 achievements, `run_batch` vs the naive per-need loop.

    OMP_NUM_THREADS=1 .venv/bin/python bench/batch_bench_100k.py --corpus /var/tmp/h19/c100k \
        [--needs 10000] [--naive 300] [--workers 0] [--work bench/.work/batch100k]

Corpus: a home built by `bench/build_1m.py --records 100000` (achievements recombining
csl-kw-dev sentences, e5-small mixture vectors in its vector cache). It is copied to <work>
first (the copy gets the needs; the original is never written). Needs: recombined the same way
(`build_1m.synthesize` with another seed: 2–3 dev documents, one or two sentences each),
their query vectors the same character-weighted mixtures of real e5 vectors, stored as the
needs' cached query vectors — so neither loop encodes, and the encoder refuses to (a miss
fails). Relevance means nothing on this corpus: only speed is measured.

Measured in one process, after one warm-up need: the naive loop (`MatchService.match_need`
one need at a time, explain off — what matching each need through the service costs) on the
first --naive needs, extrapolated per need to all needs and labelled so; then `run_batch`
(achievement target, k=10, no explanations, chunks of 256: plan → match → commit) over all
needs, each with a fresh MatchService, twice: in this process (`workers=1`: what batching
alone gains) and then again (`full`) with --workers forked worker processes (0: one per CPU);
then the naive loop again on --naive other needs with the first batch's service, whose
caches are warm (the naive loop's per-need cost falls as its caches warm: the two naive rows
bracket it). CPU time of a batch row is this process's plus its reaped workers'
(`RUSAGE_CHILDREN`). Both batches' top-10 ids are checked against the naive loop's for the
sampled needs. Writes bench/results/batch_bench_100k.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from bench_report import fmt_load, write_report  # noqa: E402
from build_1m import CacheOnlyEncoder, cache_file, sources, synthesize  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.indexers.e5q4 import QUERY_PRECISIONS  # noqa: E402
from techmatch.indexers.ingest.normalize import normalize  # noqa: E402
from techmatch.indexers.vector_cache import CachedEncoder, text_key, variant_prefix  # noqa: E402
from techmatch.matcher.batch import BatchOptions, run_batch  # noqa: E402
from techmatch.matcher.batch.results import topk  # noqa: E402
from techmatch.matcher.batch.workers import effective_workers  # noqa: E402
from techmatch.matcher.engine import Engine  # noqa: E402
from techmatch.matcher.service import MatchService  # noqa: E402
from techmatch.models.records import Need  # noqa: E402
from techmatch.store.vectors import VectorFile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "batch_bench_100k.md"
NEED_SEED = 19


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_all() -> float:
    """CPU seconds of this process and of its reaped children (the batch's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_needs(n: int, source_cache: Path, cache_dir: Path) -> list[Need]:
    """n needs recombined from csl-kw-dev like the corpus; mixture query vectors cached."""
    docs, sents, vecs = sources(source_cache)
    out: list[Need] = []
    cache = VectorFile(cache_file(cache_dir))
    for records, mix in synthesize(n, NEED_SEED, docs, sents, vecs):
        needs = [Need(id=f"need-{len(out) + j:06d}", title=r.title, description=r.abstract,
                      industry=r.industry, city=r.city, province=r.province)
                 for j, r in enumerate(records)]
        # keyed for every query precision: the mixture vector stands in for any of them
        cache.put_many([(variant_prefix(v) + text_key(normalize(need.text(), lower=False)),
                         mix[j].tobytes()) for j, need in enumerate(needs)
                        for v in QUERY_PRECISIONS])
        out.extend(needs)
    cache.close()
    return out


def prepare(args: argparse.Namespace) -> tuple[Settings, list[Need], dict[str, float]]:
    """Copy the corpus home and cache to <work>, add the needs, return settings and needs."""
    phases: dict[str, float] = {}
    start = time.perf_counter()
    shutil.rmtree(args.work, ignore_errors=True)
    shutil.copytree(args.corpus / "home", args.work / "home")
    shutil.copytree(args.corpus / "cache", args.work / "cache")
    phases["copy corpus"] = time.perf_counter() - start
    settings = Settings(home=args.work / "home", threads=1, cache_dir=args.work / "cache")
    start = time.perf_counter()
    needs = make_needs(args.needs, args.source_cache, settings.vector_cache_dir)
    engine = open_engine(settings)
    for i in range(0, len(needs), 5000):
        engine.store.upsert(needs[i:i + 5000])
    engine.close()
    phases["generate + store needs"] = time.perf_counter() - start
    return settings, needs, phases


def open_engine(settings: Settings) -> Engine:
    return Engine.open(settings, encoder=CachedEncoder(CacheOnlyEncoder(),
                                                       settings.vector_cache_dir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True,
                        help="build_1m.py --out directory of a 100k build (read only)")
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=300)
    parser.add_argument("--chunk", type=int, default=256)
    parser.add_argument("--workers", type=int, default=0,
                        help="worker processes of the parallel batch (0: one per CPU)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work" / "batch100k")
    parser.add_argument("--source-cache", type=Path,
                        default=Path(os.environ.get("TECHMATCH_CACHE_DIR", "/tmp/tm-cache")))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    settings, needs, phases = prepare(args)
    load_start = os.getloadavg()
    engine = open_engine(settings)
    engine.sync(("achievement",))  # nothing to do: the index is built; opens it
    n_ach = engine.store.count("achievement")

    service = MatchService(engine)
    service.match_need(needs[-1], target="achievement", k=10, explain=False)  # warm-up
    sample = needs[:args.naive]
    start, cpu = time.perf_counter(), time.process_time()
    naive = {n.id: [h.id for h in service.match_need(n, target="achievement", k=10,
                                                      explain=False).hits] for n in sample}
    naive_s, naive_cpu = time.perf_counter() - start, time.process_time() - cpu
    load_mid = os.getloadavg()

    options = BatchOptions(kinds=("achievement",), k=10, chunk=args.chunk, explain=False,
                           workers=1)
    batch_service = MatchService(engine)
    start, cpu = time.perf_counter(), cpu_all()
    summary = run_batch(engine, options, service=batch_service)
    batch_s, batch_cpu = time.perf_counter() - start, cpu_all() - cpu
    serial_top = topk(engine.store, "achievement")
    load_serial = os.getloadavg()
    par_options = BatchOptions(kinds=("achievement",), k=10, chunk=args.chunk, explain=False,
                               workers=args.workers, full=True)
    start, cpu = time.perf_counter(), cpu_all()
    par = run_batch(engine, par_options, service=MatchService(engine))
    par_s, par_cpu = time.perf_counter() - start, cpu_all() - cpu
    n_workers = effective_workers(args.workers, -(-par.recomputed // args.chunk))
    # the naive loop again, on the batch's service: its candidate-token cache is as warm as
    # a naive loop over all needs would have made it (the first sample starts cold)
    warm_sample = needs[len(needs) // 2:len(needs) // 2 + args.naive]
    start, cpu = time.perf_counter(), time.process_time()
    for need in warm_sample:
        batch_service.match_need(need, target="achievement", k=10, explain=False)
    warm_s, warm_cpu = time.perf_counter() - start, time.process_time() - cpu
    load_end = os.getloadavg()
    stored = topk(engine.store, "achievement")
    same = sum(naive[nid] == [cid for cid, _ in stored.get(nid, [])] for nid in naive)
    same_serial = sum(naive[nid] == [cid for cid, _ in serial_top.get(nid, [])] for nid in naive)
    identical = stored == serial_top
    engine.close()

    per_naive = naive_s / len(sample)
    per_batch = batch_s / summary.recomputed
    per_par = par_s / par.recomputed
    cpu_naive = naive_cpu / len(sample)
    lines = [
        "# Batch at scale: 10,000 needs × 100,000 achievements", "",
        f"Command: `OMP_NUM_THREADS=1 .venv/bin/python bench/batch_bench_100k.py --corpus "
        f"{args.corpus} --needs {args.needs} --naive {args.naive} --chunk {args.chunk} "
        f"--workers {args.workers}` "
        "(under `flock /tmp/helpers/bench.lock`)  ",
        f"Machine: {os.cpu_count()} cores, CPython {platform.python_version()}, one thread per "
        f"process. **Shared machine, other jobs running**: load average {fmt_load(load_start)} "
        f"at the start, {fmt_load(load_mid)} after the naive loop, {fmt_load(load_serial)} "
        f"after the in-process batch, {fmt_load(load_end)} at the end.  ",
        f"Corpus: {n_ach:,} achievements from `bench/build_1m.py` (recombined csl-kw-dev "
        "sentences, mixtures of real e5-small vectors; flat faiss index); "
        f"{len(needs):,} needs recombined the same way with mixture query vectors in the "
        "vector cache (neither loop encodes). Speed only: relevance means nothing here.  ",
        "Setup (not part of the comparison): "
        f"{', '.join(f'{k} {v:.0f} s' for k, v in phases.items())}.", "",
        "| path | needs | seconds | ms per need | needs/s | CPU ms per need |",
        "|---|---:|---:|---:|---:|---:|",
        f"| naive: `MatchService.match_need` one need at a time | {len(sample):,} (measured) | "
        f"{naive_s:.1f} | {1000 * per_naive:.1f} | {1 / per_naive:.1f} | "
        f"{1000 * naive_cpu / len(sample):.1f} |",
        f"| naive, all {len(needs):,} needs (**extrapolated** from the line above) | "
        f"{len(needs):,} | {per_naive * len(needs):.0f} | {1000 * per_naive:.1f} | "
        f"{1 / per_naive:.1f} | |",
        f"| naive, warm candidate-token cache (after the batch, on its service) | "
        f"{len(warm_sample):,} (measured) | {warm_s:.1f} | "
        f"{1000 * warm_s / len(warm_sample):.1f} | "
        f"{len(warm_sample) / warm_s:.1f} | {1000 * warm_cpu / len(warm_sample):.1f} |",
        f"| `run_batch` in process (`workers=1`; plan + match + commit, chunks of "
        f"{args.chunk}) | "
        f"{summary.recomputed:,} (measured) | {batch_s:.1f} | {1000 * per_batch:.1f} | "
        f"{1 / per_batch:.1f} | {1000 * batch_cpu / summary.recomputed:.1f} |",
        f"| `run_batch` with {n_workers} worker processes (`workers={args.workers}`, `full`; "
        f"CPU summed over parent and workers) | {par.recomputed:,} (measured) | {par_s:.1f} | "
        f"{1000 * per_par:.1f} | {1 / per_par:.1f} | {1000 * par_cpu / par.recomputed:.1f} |",
        "",
        f"Batch / naive speed, {n_workers} workers: **{per_naive / per_par:.2f}×** per need "
        f"by wall clock, {cpu_naive / (par_cpu / par.recomputed):.2f}× by CPU time (all "
        f"processes); in process (batching alone): {per_naive / per_batch:.2f}× by wall clock, "
        f"{cpu_naive / (batch_cpu / summary.recomputed):.2f}× by CPU time; the workers "
        f"themselves: {per_batch / per_par:.2f}× by wall clock over the in-process batch. "
        "Against the warm-cache naive loop: "
        f"{(warm_s / len(warm_sample)) / per_par:.2f}× ({n_workers} workers) and "
        f"{(warm_s / len(warm_sample)) / per_batch:.2f}× (in process) by wall clock, "
        f"{(warm_cpu / len(warm_sample)) / (par_cpu / par.recomputed):.2f}× and "
        f"{(warm_cpu / len(warm_sample)) / (batch_cpu / summary.recomputed):.2f}× by CPU "
        f"time. Same top-10 ids as the naive loop on {same}/{len(sample)} sampled needs "
        f"(workers) and {same_serial}/{len(sample)} (in process); the two batches stored "
        f"{'identical' if identical else '**different**'} top-10 lists and confidences for "
        f"all {par.recomputed:,} needs. Peak RSS of this process {peak_mb():,.0f} MB.", ""]
    write_report(args.out, lines)


if __name__ == "__main__":
    main()
