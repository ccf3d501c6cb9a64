"""Adapting the shipped ranker to a home's own judgements, without forgetting it.

The sample home (data/samples: 48 needs, judged pairs in qrels.tsv) stands in for a platform's
feedback: half 1 of the judged needs (train.query_half) is the feedback, half 2 is scored.
Models: the untrained default weights, the shipped model, a fit on the feedback alone, and the
shipped model adapted to the feedback (`train-ranker --from-feedback`: blended as if it were
FEEDBACK_PRIOR_QUERIES needs). Each is scored on the held-out sample needs (achievements and
experts) and, with --dev, on development sets (what the adaptation may forget).

    TECHMATCH_CACHE_DIR=... python bench/adapt_feedback.py [--dev ../shared/eval/csl-kw-dev ...]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from techmatch.cli.demo import SAMPLES, load_samples
from techmatch.cli.match import FEEDBACK_PRIOR_QUERIES
from techmatch.config import Settings
from techmatch.eval.datasets import load_dataset, read_qrels
from techmatch.eval.metrics import evaluate, mean
from techmatch.eval.runner import open_workspace
from techmatch.matcher.engine import Engine
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.service import MatchService
from techmatch.matcher.shipped import shipped_model
from techmatch.matcher.train import (
    TrainOptions,
    needs_from_queries,
    query_half,
    ranking_run,
    train_ranker,
)

METRICS = ("ndcg@10", "ndcg_exp@10", "mrr@10")


def _scores(qrels: dict, run: dict, qids: list[str]) -> dict[str, float]:
    values = evaluate(qrels, run, list(METRICS), query_ids=qids)
    return {m: round(mean(values[m]), 4) for m in METRICS}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", type=Path, action="append", default=[])
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--dev-home", type=Path, default=None,
                    help="home whose eval work folders to reuse for --dev")
    args = ap.parse_args()
    cache = Path(os.environ.get("TECHMATCH_CACHE_DIR") or ".pytest_cache/vectors")
    home = args.home or Path(tempfile.mkdtemp(prefix="adapt-"))
    settings = Settings(home=home / "samples", threads=1, cache_dir=cache)
    engine = Engine.open(settings)
    if engine.store.count() == 0:
        load_samples(engine)
    list(engine.sync())
    qrels = read_qrels(SAMPLES / "qrels.tsv")
    feedback, held = query_half(sorted(qrels), 1)
    labels = {q: qrels[q] for q in feedback}
    shipped = shipped_model(engine.encoder.id)
    if shipped is None:
        raise SystemExit("no shipped model for this encoder")
    models = {
        "default-weights": RankerModel(),
        "shipped": shipped,
        "feedback-only": train_ranker(engine, labels, options=TrainOptions()),
        "shipped+feedback": train_ranker(engine, labels, base=shipped, options=TrainOptions(
            prior_queries=FEEDBACK_PRIOR_QUERIES)),
    }
    kinds = {c.id: c.kind for c in engine.store.get_many(
        {d for docs in qrels.values() for d in docs}).values()}
    needs = {n.id: n for n in engine.store.get_many(held).values()}
    out: dict[str, dict] = {"samples_held_out_needs": {"needs": len(needs)}}
    for name, model in models.items():
        service = MatchService(engine, model=model)
        row = {}
        for target in ("achievement", "expert"):
            q = {n: {d: g for d, g in qrels[n].items() if kinds.get(d) == target}
                 for n in needs}
            qids = sorted(n for n, docs in q.items() if any(g > 0 for g in docs.values()))
            run = ranking_run(service, {n: needs[n] for n in qids}, target=target, k=100)
            row[target] = _scores(q, run, qids)
        out["samples_held_out_needs"][name] = row
    engine.close()
    for path in args.dev:
        ds = load_dataset(path, "dev")
        ws = open_workspace(ds, settings.model_copy(update={"home": args.dev_home or home / "dev"}))
        qids = query_half(ds.query_ids(), 2)[0]  # the half `train-ranker --half 1` leaves out
        queries = needs_from_queries({q: ds.queries[q] for q in qids}, ds.query_meta)
        out[f"{ds.name} (half 2)"] = {
            name: _scores(ds.qrels, ranking_run(MatchService(ws.engine, model=m), queries,
                                                k=100), qids)
            for name, m in models.items() if name != "default-weights"}
        ws.engine.close()
    out["weights_achievement"] = {n: dict(zip(m.models["achievement"].features,
                                              [round(w, 3) for w in
                                               m.models["achievement"].weights], strict=True))
                                  for n, m in models.items() if "achievement" in m.models}
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
