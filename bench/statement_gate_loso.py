"""Learnt statement evidence, checked leave-one-set-out over three query sets (issue 20).

The shipped ranker gates list evidence by `list_style` (techmatch.matcher.querystyle); for
statements (titles) it is the weighted hybrid `hybrid_mm` alone. This measures the mirror
image before anything is built: the ranker's own base columns, centred over the query's
candidates and multiplied by 1 − list_style ("statement-gated": `lexical_mm`, `dense_mm`,
`dense_gap`, `term_coverage`, `fused`, `keyword_jaccard`), fitted beside the shipped feature
set (`hybrid_mm` + the five list-gated columns) by a pairwise logistic regression (every
within-query pair of different grades, each query weighing the same, no intercept, fixed C)
on all sets but one and scored on the held-out one. A gated family is left at 0 when the
training queries hold less than 50 of its style (Σ list_style, Σ 1 − list_style), as
`train.py`'s support rule does for the list family. With two dev sets a statement weight
could only be learnt from the very set it is scored on; a third set of statements (patent
titles, built from KPPatent-ZH as in docs/evaluation.md) makes the check possible.

    TECHMATCH_CACHE_DIR=/tmp/tm-cache OMP_NUM_THREADS=1 nice -n 15 \\
        python bench/statement_gate_loso.py --home /tmp/h21/home \\
        --dataset ../shared/eval/csl-kw-dev --dataset ../shared/eval/csl-title-dev \\
        --dataset /tmp/h20c/pat-title-dev
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from techmatch.config import Settings
from techmatch.eval.datasets import load_dataset
from techmatch.eval.metrics import evaluate, parse_metrics
from techmatch.eval.runner import open_workspace
from techmatch.eval.significance import paired_t_test, randomization_test
from techmatch.matcher.querystyle import list_style
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.service import MatchService
from techmatch.matcher.train import needs_from_queries

sys.path.insert(0, str(Path(__file__).parent))
from statement_signals import DEPTH, METRIC, tables_of  # noqa: E402

LISTED = ("list_prf_discipline", "list_prf_terms", "list_prf_dense", "list_top_discipline",
          "list_phrase_coverage")
STATEMENT_BASE = ("lexical_mm", "dense_mm", "dense_gap", "term_coverage", "fused",
                  "keyword_jaccard")
SHIPPED_SET = ("hybrid_mm", *LISTED)
WITH_STATEMENTS = (*SHIPPED_SET, *(f"st_{c}" for c in STATEMENT_BASE))
MIN_STYLE = 50.0

Query = tuple[list[str], dict[str, np.ndarray], dict[str, int], float]


def set_queries(path: Path, home: Path) -> tuple[str, dict[str, Query], dict]:
    ds = load_dataset(path, "dev")
    ws = open_workspace(ds, Settings(home=home, threads=1))
    service = MatchService(ws.engine, model=RankerModel(), depth=DEPTH)
    qids = ds.query_ids()
    needs = needs_from_queries({q: ds.queries[q] for q in qids}, ds.query_meta)
    tables = tables_of(service, needs, qids)
    ws.engine.close()
    out: dict[str, Query] = {}
    for q, t in tables.items():
        style = list_style(ds.queries[q])
        cols = {f: t.column(f) for f in SHIPPED_SET}
        for c in STATEMENT_BASE:
            v = t.column(c)
            cols[f"st_{c}"] = (v - v.mean()) * (1.0 - style)
        out[q] = (t.ids, cols, ds.qrels[q], style)
    return ds.name, out, ds.qrels


def fit(train: list[dict[str, Query]], names: tuple[str, ...], c: float) -> dict[str, float]:
    lists = sum(s for qs in train for (_, _, _, s) in qs.values())
    statements = sum(1 - s for qs in train for (_, _, _, s) in qs.values())
    use = [n for n in names if not (n in LISTED and lists < MIN_STYLE)
           and not (n.startswith("st_") and statements < MIN_STYLE)]
    xs, ys, ws = [], [], []
    for qs in train:
        for ids, cols, qrel, _ in qs.values():
            m = np.column_stack([cols[n] for n in use])
            g = np.array([qrel.get(i, 0) for i in ids])
            hi, lo = np.nonzero(g[:, None] > g[None, :])
            if not len(hi):
                continue
            d = m[hi] - m[lo]
            xs += [d, -d]
            ys += [np.ones(len(d)), np.zeros(len(d))]
            ws.append(np.full(2 * len(d), 1.0 / len(d)))
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    model.fit(np.vstack(xs), np.concatenate(ys), sample_weight=np.concatenate(ws))
    return dict(zip(use, model.coef_[0].tolist(), strict=True))


def per_query(qs: dict[str, Query], qrels: dict, weights: dict[str, float]) -> np.ndarray:
    run = {}
    for q, (ids, cols, _, _) in qs.items():
        s = sum(w * cols[n] for n, w in weights.items())
        run[q] = [ids[j] for j in sorted(range(len(ids)), key=lambda j: (-s[j], ids[j]))]
    got = evaluate(qrels, run, parse_metrics([METRIC]), query_ids=list(qs))[METRIC]
    return np.array([got[q] for q in qs])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, action="append", required=True)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--c", type=float, action="append")
    args = ap.parse_args()
    sets = [set_queries(p, args.home) for p in args.dataset]
    out: dict[str, object] = {"metric": METRIC, "held_out": {}}
    for c in args.c or [0.1, 1.0]:
        for name, qs, qrels in sets:
            train = [other for n, other, _ in sets if n != name]
            base = per_query(qs, qrels, fit(train, SHIPPED_SET, c))
            w = fit(train, WITH_STATEMENTS, c)
            new = per_query(qs, qrels, w)
            out["held_out"][f"{name} C={c}"] = {  # type: ignore[index]
                "queries": len(qs), "shipped_features": round(float(base.mean()), 4),
                "with_statement_features": round(float(new.mean()), 4),
                "delta": round(float(new.mean() - base.mean()), 4),
                "p_randomization": round(randomization_test(new, base), 4),
                "p_ttest": round(paired_t_test(new, base), 4),
                "statement_weights": {n: round(v, 3) for n, v in w.items()
                                      if n.startswith("st_") or n == "hybrid_mm"}}
    out["load"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
