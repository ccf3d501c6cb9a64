"""Stored batch results equal the naive loop's, value for value (issue 19).

    OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python bench/batch_identity_100k.py \
        --needs 2100 --sample 200 --work /var/tmp/h19d-ver

On a copy of the 100k corpus (`batch_bench_100k.prepare`) with --needs needs: --sample needs
spread over all chunks are matched one by one with `MatchService.match_need` (explain off),
then `run_batch` (full, explain off) runs with worker processes (`workers=0`) and in process
(`workers=1`); for each sampled need the stored (rank, candidate) list, scores, confidences
and routed flag are compared with the naive ranking's. The ranker's `recency` feature reads
the clock, so the clock the features see is fixed to one instant for both (otherwise scores
drift by ~1e-8 per second between the runs). Above 2,000 needs the batch preloads the
candidates (`_Job._preload`), as it does at 10,000. Prints one line per batch.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import batch_bench_100k as bench  # noqa: E402

import techmatch.matcher.features as features  # noqa: E402
import techmatch.matcher.tablecols as tablecols  # noqa: E402
from techmatch.matcher.batch import BatchOptions, results, run_batch  # noqa: E402
from techmatch.matcher.service import MatchService  # noqa: E402

FIXED = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return FIXED


Row = tuple[int, str, float, float | None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/var/tmp/h19/c100k-tok"))
    parser.add_argument("--needs", type=int, default=2100)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--source-cache", type=Path,
                        default=Path(os.environ.get("TECHMATCH_CACHE_DIR", "/tmp/tm-cache")))
    args = parser.parse_args()
    features.datetime = _FixedClock  # type: ignore[misc]  # forked workers inherit it
    tablecols.datetime = _FixedClock  # type: ignore[misc]  # the batch's column-wise table
    args.naive, args.chunk = args.sample, 256
    settings, needs, _ = bench.prepare(args)
    engine = bench.open_engine(settings)
    engine.sync(("achievement",))
    service = MatchService(engine)
    naive: dict[str, tuple[list[Row], bool]] = {}
    for need in needs[::max(1, args.needs // args.sample)][:args.sample]:
        ranking = service.match_need(need, target="achievement", k=10, explain=False)
        naive[need.id] = ([(h.rank, h.id, h.score, h.confidence) for h in ranking.hits],
                          ranking.routed_to_staff)
    for workers in (0, 1):
        run_batch(engine, BatchOptions(kinds=("achievement",), k=10, chunk=256, explain=False,
                                       workers=workers, full=True),
                  service=MatchService(engine))
        stored: dict[str, list[results.StoredHit]] = {}
        for hit in results.iter_hits(engine.store, ["achievement"]):
            stored.setdefault(hit.need_id, []).append(hit)
        same_ids = equal = routed = 0
        for nid, (rows, was_routed) in naive.items():
            got = stored.get(nid, [])
            same_ids += [(h.rank, h.candidate_id) for h in got] == [r[:2] for r in rows]
            equal += [(h.rank, h.candidate_id, h.score, h.confidence) for h in got] == rows
            routed += bool(got) and all(h.routed == was_routed for h in got)
        print(f"workers={workers}: same ranked ids {same_ids}/{len(naive)}, ids + scores + "
              f"confidences exactly equal {equal}/{len(naive)}, routed flag equal "
              f"{routed}/{len(naive)}", flush=True)
    engine.close()


if __name__ == "__main__":
    main()
