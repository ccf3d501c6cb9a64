"""Held-out check of the "no good match" models, the way they were fitted (techmatch.eval.
abstain_fit), for both kinds:

    python -m techmatch.eval.abstain_check --answerable-set DIR [--answerable-set DIR2] \
        --expert-set DIR [--expert-set DIR2] --half 2 [--model FILE]

Per achievement set: its answerable and unanswerable needs of the half. Experts: the
need→expert set's needs of the half, each also ranked with its relevant experts left out (a
need no expert fits). Reported per set: AUROC of the top confidence (answerable vs not),
routed shares at the settings' threshold, and ECE of the top-1 and top-10 hits, over all the
half's needs and over the answerable ones only (what `techmatch eval` reports for experts,
whose set has no unanswerable needs), the latter beside its floor (`calibrate.ece_floor`).
Rankings use the default ranker weights, as the fit.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from techmatch.config import get_settings
from techmatch.errors import ValidationError
from techmatch.eval.abstain_fit import (
    OTHER,
    Rows,
    achievement_rows,
    columns,
    expert_rows,
    probabilities,
)
from techmatch.eval.abstention import auroc
from techmatch.eval.datasets import expert_qrels, load_dataset
from techmatch.matcher.abstain import AbstainModel, default_abstain
from techmatch.matcher.calibrate import ece_floor, reliability
from techmatch.matcher.train import query_half


def check(model: AbstainModel, rows: Rows, answerable: np.ndarray,
          threshold: float, close: AbstainModel | None = None) -> dict[str, Any]:
    """The numbers of one set (module docstring); `answerable` (n,) flags rows' needs."""
    if len(answerable) != len(rows.good):
        raise ValidationError(f"{len(answerable)} flags for {len(rows.good)} needs",
                              field="answerable")
    p = probabilities(model, rows, close)
    copies = rows.duplicates or [[] for _ in rows.values]
    conf = [model.hits.confidences(float(pi), columns(v, model.kind, model.hits.columns), d)
            if model.hits else np.array([pi])
            for pi, v, d in zip(p, rows.values, copies, strict=True)]

    def ece(mask: np.ndarray, top: int, floor: bool = False) -> float:
        c = [x for ci, m in zip(conf, mask, strict=True) if m for x in ci[:top]]
        r = [x for li, m in zip(rows.labels, mask, strict=True) if m for x in li[:top]]
        if floor:
            return round(ece_floor(np.array(c)), 4)
        return round(reliability(np.array(c), np.array(r)).ece, 4)

    every = np.ones(len(p), dtype=bool)
    return {"needs": len(p), "answerable": int(answerable.sum()),
            "auroc": auroc(p.tolist(), answerable.astype(int).tolist()),
            "routed_unanswerable": float((p[~answerable] < threshold).mean())
            if (~answerable).any() else None,
            "routed_answerable": float((p[answerable] < threshold).mean()),
            "ece_top1": ece(every, 1), "ece_top10": ece(every, 10),
            "ece_top1_answerable": ece(answerable, 1),
            "ece_top10_answerable": ece(answerable, 10),
            "ece_top1_answerable_floor": ece(answerable, 1, floor=True),
            "ece_top10_answerable_floor": ece(answerable, 10, floor=True)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answerable-set", type=Path, action="append", required=True)
    parser.add_argument("--expert-set", type=Path, action="append", required=True)
    parser.add_argument("--half", type=int, choices=(1, 2), required=True)
    parser.add_argument("--model", type=Path, default=None,
                        help="abstention models file (default: the shipped one)")
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.home is not None:
        settings = settings.model_copy(update={"home": args.home})
    models = ({k: AbstainModel.model_validate(v) for k, v in json.loads(
        args.model.read_text(encoding="utf-8")).items()} if args.model else
        {k: default_abstain(k) for k in ("achievement", "expert")})
    threshold = settings.confidence_threshold
    out: dict[str, Any] = {}
    for path in args.answerable_set:
        ds = load_dataset(path)
        none = set(query_half(ds.unanswerable_ids(), args.half)[0])
        ids = sorted(q for q in [*query_half(ds.query_ids(), args.half)[0], *none]
                     if ds.queries[q].strip())
        rows = achievement_rows(settings, ds, args.half)
        out[ds.name] = check(models["achievement"], rows,  # type: ignore[arg-type]
                             np.array([q not in none for q in ids]), threshold)
    for path in args.expert_set:
        ds = load_dataset(path)
        qrels = expert_qrels(ds)
        good = query_half([q for q in ds.query_ids() if q in qrels], args.half)[0]
        ids = sorted([*good, *(OTHER + q for q in good)])
        rows = expert_rows(settings, ds, args.half)
        expert = models["expert"]
        close = models.get(expert.close) if expert is not None and expert.close else None
        out[f"{ds.name} (experts)"] = check(expert, rows,  # type: ignore[arg-type]
                                            np.array([not q.startswith(OTHER) for q in ids]),
                                            threshold, close)
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
