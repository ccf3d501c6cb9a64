"""Benchmark: assignment solve time for 2,000 needs x 500 experts, milp vs linear_sum_assignment.

Instance (seeded): sparse scores (each need scores ~10% of experts, the rest 0), capacities
2-6, ~2% of pairs in conflict (declared exclusions plus a few same-organization pairs).

Rows of the table:
- milp, 1-2 experts per need (with this seed total capacity < 2,000: the row shows how fast
  the diagnostic answers), variables limited to each need's top-K usable experts (K=30
  by default: 2,000 x 30 = 60k binaries instead of 1M; real systems prune like this because an
  expert ranked below the K-th for a need is almost never chosen).
- milp, 0-2 experts per need, and the same with "at least 95% of each city's needs served"
  quotas (binary served flags: branch and cut instead of the LP shortcut).
- milp and the peer on the same 1-expert-per-need problem: scipy's linear_sum_assignment on
  the capacity-expanded matrix (expert j repeated capacity_j times, forbidden pairs at -1e6)
  solves the full, unpruned problem exactly, so its objective shows what top-K pruning costs.

Run: .venv/bin/python bench/assign_bench.py [--needs 2000 --experts 500 --top-k 30 --seed 0]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

from techmatch.matcher.assignment import AssignmentProblem, Constraints, assign, encode
from techmatch.models.records import Expert, Need

T = TypeVar("T")
_FORBIDDEN = -1e6


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def instance(n: int, m: int, seed: int) -> tuple[list[Need], list[Expert], np.ndarray]:
    rng = np.random.default_rng(seed)
    needs = [Need(id=f"n{i:05d}", title=f"need {i}", enterprise=f"ent{i:05d}",
                  city=f"city{i % 10}") for i in range(n)]
    conflicts = max(1, int(0.02 * n))  # ~2% of the needs per expert
    experts = []
    for j in range(m):
        # One expert in ten works for one of the enterprises: same-organization conflicts.
        org = f"ent{rng.integers(n):05d}" if rng.random() < 0.1 else f"org{j}"
        excluded = [f"ent{i:05d}" for i in rng.choice(n, conflicts, replace=False)]
        experts.append(Expert(id=f"e{j:04d}", name=f"expert {j}", organization=org,
                              capacity=int(rng.integers(2, 7)), exclusions=excluded))
    scores = rng.random((n, m)) * (rng.random((n, m)) < 0.1)
    return needs, experts, scores


def lsa_peer(problem: AssignmentProblem) -> tuple[float, int]:
    """Exact 1-expert-per-need optimum by linear_sum_assignment on the expanded matrix."""
    columns = np.repeat(np.arange(problem.scores.shape[1]), problem.capacity)
    allowed = problem.allowed[:, columns]
    matrix = np.where(allowed, problem.scores[:, columns], _FORBIDDEN)
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    keep = allowed[rows, cols]  # a forced forbidden pair means "unserved", not a match
    return float(problem.scores[rows[keep], columns[cols[keep]]].sum()), int(keep.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--experts", type=int, default=500)
    parser.add_argument("--top-k", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=30.0, help="per MILP solve")
    parser.add_argument("--full", action="store_true",
                        help="also solve 1/need on every usable pair (~1M variables)")
    args = parser.parse_args()

    needs, experts, scores = instance(args.needs, args.experts, args.seed)
    two, t_encode = timed(lambda: encode(needs, experts, scores, Constraints(
        min_experts_per_need=1, max_experts_per_need=2)))
    one = encode(needs, experts, scores, Constraints(min_experts_per_need=0,
                                                     max_experts_per_need=1))
    conflict_rate = 1 - two.allowed.mean()
    print(f"{args.needs} needs x {args.experts} experts, seed {args.seed}: "
          f"capacity {int(two.capacity.sum())}, conflicts {conflict_rate:.2%}, "
          f"nonzero scores {np.count_nonzero(scores) / scores.size:.1%}, "
          f"encode {t_encode:.2f} s")

    rows: list[tuple[str, str, float, float, str]] = []
    upto_two = encode(needs, experts, scores, Constraints(min_experts_per_need=0,
                                                          max_experts_per_need=2))
    # Quotas add served-flags and break total unimodularity: this row runs branch and cut.
    quotas = {f"city{c}": int(0.95 * args.needs / 10) for c in range(10)}
    with_quotas = encode(needs, experts, scores, Constraints(
        min_experts_per_need=0, max_experts_per_need=2, city_quotas=quotas))
    cases = [("milp 1-2/need", two, args.top_k), ("milp 0-2/need", upto_two, args.top_k),
             ("milp 0-2/need + city quotas", with_quotas, args.top_k),
             ("milp 1/need", one, args.top_k)]
    if args.full:
        cases.append(("milp 1/need", one, None))
    for label, problem, top_k in cases:
        result, seconds = timed(partial(assign, problem, top_k=top_k,
                                        time_limit=args.time_limit, alternates=0))
        extra = result.message if not result.solved else result.status.value
        variables = f"top-{top_k}" if top_k else "all usable"
        rows.append((label, variables, seconds, result.total_score, extra))
    (objective, served), seconds = timed(lambda: lsa_peer(one))
    rows.append(("linear_sum_assignment 1/need", "full, expanded", seconds, objective,
                 f"{served} needs served"))

    print(f"\n{'solver':<30} {'variables':<16} {'seconds':>8} {'objective':>12}  status")
    for label, variables, secs, value, status in rows:
        print(f"{label:<30} {variables:<16} {secs:>8.2f} {value:>12.3f}  {status}")


if __name__ == "__main__":
    main()
