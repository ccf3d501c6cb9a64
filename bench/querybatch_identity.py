"""Query vectors of the micro-batched path (`E5SmallTorchEncoder.encode_queries_apart`, what
the service's `QueryBatcher` calls for concurrent searches) against each query encoded alone
(what a search computed before), on every query of the dev evaluation sets, in random joint
calls of 2-8 texts (seeded). Reports rows that differ in any bit and the lowest cosine.

    .venv/bin/python bench/querybatch_identity.py [--sets csl-kw-dev csl-title-dev]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from techmatch.indexers.encoders import E5SmallTorchEncoder
from techmatch.indexers.ingest.normalize import normalize

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=["csl-kw-dev", "csl-title-dev"])
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    enc = E5SmallTorchEncoder(threads=1)
    rng = np.random.default_rng(args.seed)
    for name in args.sets:
        rows = [json.loads(line) for line in (SHARED / name / "queries.jsonl")
                .read_text("utf-8").splitlines() if line.strip()]
        texts = [normalize(r["text"], lower=False) for r in rows]
        t0 = time.process_time()
        alone = np.stack([enc.encode_queries([t])[0] for t in texts])
        t_alone = time.process_time() - t0
        order = rng.permutation(len(texts))
        got = np.empty_like(alone)
        t0, calls, i = time.process_time(), 0, 0
        while i < len(order):
            part = order[i:i + int(rng.integers(2, 9))]
            got[part] = enc.encode_queries_apart([texts[j] for j in part])
            i, calls = i + len(part), calls + 1
        t_joint = time.process_time() - t0
        differ = int((got != alone).any(axis=1).sum())
        cos = float(np.min(np.sum(got * alone, axis=1)))
        print(f"{name}: {len(texts)} queries, {calls} joint calls of 2-8; rows differing in "
              f"any bit: {differ}; lowest cosine {cos:.7f}; encoder CPU per query alone "
              f"{1000 * t_alone / len(texts):.2f} ms, jointly {1000 * t_joint / len(texts):.2f} "
              f"ms (process time, precision {enc.query_variant})", flush=True)


if __name__ == "__main__":
    main()
