"""Fit the shipped "no good match" models on development sets (the package's default).

    python -m techmatch.eval.abstain_fit --answerable-set DIR [--answerable-set DIR2] \
        --expert-set DIR --half 1 --out techmatch/resources/abstain-default.json

Achievements: the answerable and unanswerable needs of a set with `unanswerable.txt` (label 1
when the top-ranked achievement is relevant). Experts: the needs of a need→expert set (label 1
when the top-ranked expert is relevant) plus, as needs without any fitting expert, the
unanswerable needs of the first set (their disciplines are absent from both corpora). With
`--half`, only that half of each query list is used (the fixed split `eval --half` shares), so
the other half stays held out. Rankings use the default ranker weights.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from techmatch.config import Settings, get_settings
from techmatch.eval.datasets import Dataset, expert_qrels, load_dataset
from techmatch.eval.runner import open_workspace
from techmatch.matcher.abstain import AbstainModel, fit_abstain
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.service import MatchService
from techmatch.matcher.train import abstention_rows, needs_from_queries, query_half

log = logging.getLogger(__name__)
OTHER = "x-"  # prefix of needs borrowed from another set (ids may collide)


def _half(ids: list[str], half: int | None) -> list[str]:
    return query_half(ids, half)[0] if half else ids


def achievement_rows(settings: Settings, ds: Dataset, half: int | None
                     ) -> tuple[np.ndarray, np.ndarray, str]:
    ws = open_workspace(ds, settings)
    try:
        service = MatchService(ws.engine, model=RankerModel())
        good, none = _half(ds.query_ids(), half), _half(ds.unanswerable_ids(), half)
        needs = needs_from_queries({q: ds.queries[q] for q in [*good, *none]})
        x, y, _ = abstention_rows(service, needs, ds.qrels, none, "achievement")
        encoder = ws.engine.encoder.id
    finally:
        ws.engine.close()
    return x, y, encoder


def expert_rows(settings: Settings, ds: Dataset, other: Dataset, half: int | None
                ) -> tuple[np.ndarray, np.ndarray, str]:
    ws = open_workspace(ds, settings)
    try:
        service = MatchService(ws.engine, model=RankerModel())
        qrels = expert_qrels(ds)
        good = _half([q for q in ds.query_ids() if q in qrels], half)
        none = {OTHER + q: other.queries[q] for q in _half(other.unanswerable_ids(), half)}
        needs = needs_from_queries({**{q: ds.queries[q] for q in good}, **none})
        x, y, _ = abstention_rows(service, needs, qrels, sorted(none), "expert")
        encoder = ws.engine.encoder.id
    finally:
        ws.engine.close()
    return x, y, encoder


def fit_defaults(settings: Settings, answerable_sets: list[Path], expert_set: Path,
                 half: int | None, kinds: tuple[str, ...] = ("achievement", "expert"),
                 c: float = 1.0) -> dict[str, AbstainModel]:
    """The kinds' models, each with its training counts in `metrics`; the experts' borrowed
    unanswerable needs come from the first set."""
    from sklearn.metrics import roc_auc_score

    sets = [load_dataset(p) for p in answerable_sets]
    experts = load_dataset(expert_set)
    suffix = f" half {half}" if half else ""
    sources = {"achievement": " + ".join(ds.name for ds in sets) + suffix,
               "expert": f"{experts.name} + {sets[0].name} unanswerable{suffix}"}
    rows: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}
    if "achievement" in kinds:
        parts = [achievement_rows(settings, ds, half) for ds in sets]
        rows["achievement"] = (np.vstack([p[0] for p in parts]),
                               np.concatenate([p[1] for p in parts]), parts[0][2])
    if "expert" in kinds:
        rows["expert"] = expert_rows(settings, experts, sets[0], half)
    out = {}
    for kind, (x, y, encoder) in rows.items():
        model = fit_abstain(x, y, kind=kind, encoder=encoder, c=c)
        model.metrics = {"trained_on": sources[kind], "needs": len(y),
                         "good_top": int(y.sum()), "c": c,
                         "auroc_in_sample": round(float(roc_auc_score(y, model.probability(x))),
                                                  4)}
        out[kind] = model
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answerable-set", type=Path, action="append", required=True,
                        help="a set with unanswerable.txt (repeatable)")
    parser.add_argument("--expert-set", type=Path, required=True)
    parser.add_argument("--half", type=int, choices=(1, 2), default=None)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation")
    parser.add_argument("--kind", action="append", choices=("achievement", "expert"),
                        help="fit only this kind (repeatable; default both); the other "
                             "kinds in --out are kept")
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    settings = get_settings()
    if args.home is not None:
        settings = settings.model_copy(update={"home": args.home})
    models = fit_defaults(settings, args.answerable_set, args.expert_set, args.half,
                          tuple(args.kind or ("achievement", "expert")), c=args.c)
    kept = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    kept.update({k: m.model_dump() for k, m in models.items()})
    args.out.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(json.dumps({k: m.metrics for k, m in models.items()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
