"""Fit the shipped "no good match" models on development sets (the package's default).

    python -m techmatch.eval.abstain_fit --answerable-set DIR [--answerable-set DIR2] \
        --expert-set DIR [--expert-set DIR2] --half 1 --out techmatch/resources/abstain-default.json

Achievements: the answerable and unanswerable needs of the sets with `unanswerable.txt`
(label 1 when the top-ranked achievement is relevant) give the evidence model (without the
`LENGTH_DEPENDENT` evidence); the hits at
ranks 2..HIT_RANKS of the same needs (label: relevant; every hit of an unanswerable need is
not) give its `HitModel` (techmatch.matcher.abstain_hits). Experts: the needs of a
need→expert set (label 1 when the top-ranked expert is relevant, grade ≥ 1), each also ranked
with all its relevant experts left out (its whole discipline: a need no expert fits, label 0);
the evidence model is refined with the top expert's work features (`AbstainModel.top`) and
has a `HitModel` of its own. The left-out copies are weighted (`--expert-unanswerable-weight`,
default 0.25): the copies double the needs, so unweighted the model was calibrated for a
population where every other need has no expert, and understated the answerable ones (the
need→expert set's held-out half, all answerable: top-10 ECE 0.099); 0.25 makes one need in
five unanswerable, close to `csl-abstain-dev`'s share (201 of 733). (Needs borrowed from
the first set as unanswerable were tried and dropped: their evidence over the expert corpus
is strong, P ≈ 0.99 for half of them, so they are not needs without an expert.) With
`--half`, only that half of each query list is used (the fixed split `eval --half` shares),
so the other half stays held out. Rankings use the default ranker weights.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from techmatch.config import Settings, get_settings
from techmatch.eval.datasets import Dataset, expert_qrels, load_dataset
from techmatch.eval.runner import open_workspace
from techmatch.matcher.abstain import (
    EVIDENCE,
    FITTED,
    FITTED_EXPERT,
    AbstainModel,
    combine,
    default_abstain,
    fit_abstain,
)
from techmatch.matcher.abstain_hits import HIT_COLUMNS, HIT_RANKS, HitModel, fit_hits, hit_inputs
from techmatch.matcher.features import Query
from techmatch.matcher.needevidence import duplicates, ranked_columns
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.service import MatchService, Scored
from techmatch.matcher.train import CHUNK, needs_from_queries, query_half
from techmatch.models.records import Need
from techmatch.models.results import Filters

log = logging.getLogger(__name__)
OTHER = "x-"  # prefix of a need ranked with its relevant experts left out
UNANSWERABLE_WEIGHT = 0.25  # weight of a left-out copy in the expert fit (module docstring)



def _half(ids: list[str], half: int | None) -> list[str]:
    return query_half(ids, half)[0] if half else ids


@dataclass
class Rows:
    """One kind's fitting material: per need, its evidence, whether its top hit is good, and
    its ranked hits' HIT_COLUMNS values and relevance (first HIT_RANKS)."""

    evidence: list[np.ndarray] = field(default_factory=list)
    good: list[int] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    duplicates: list[list[int | None]] = field(default_factory=list)  # needevidence.duplicates
    ids: list[str] = field(default_factory=list)  # the needs' ids (OTHER + id: a left-out copy)
    encoder: str = ""

    def weights(self, unanswerable: float) -> np.ndarray:
        """(n,) per need: `unanswerable` for a left-out copy, 1 for the others."""
        return np.array([unanswerable if q.startswith(OTHER) else 1.0 for q in self.ids])

    def extend(self, other: Rows) -> None:
        self.evidence += other.evidence
        self.good += other.good
        self.values += other.values
        self.labels += other.labels
        self.duplicates += other.duplicates
        self.ids += other.ids
        self.encoder = self.encoder or other.encoder


def scored_rows(service: MatchService, needs: dict[str, Need], qrels: dict[str, dict[str, int]],
                none: set[str], target: str,
                excluded: dict[str, list[str]] | None = None) -> Rows:
    """`Rows` of the `needs` (those in `none` are unanswerable) ranked for `target`; a need
    in `excluded` is ranked without those candidates, one need at a time."""
    rows = Rows(encoder=service.engine.encoder.id)
    qids = sorted(q for q in needs if needs[q].text().strip())
    excluded = excluded or {}
    plain = [q for q in qids if q not in excluded]
    scored: dict[str, Scored] = {}
    for start in range(0, len(plain), CHUNK):
        chunk = plain[start:start + CHUNK]
        scored.update(zip(chunk, service.scored([Query.of(needs[q]) for q in chunk],
                                                target=target), strict=True))
    for qid in sorted(set(qids) & set(excluded)):
        [scored[qid]] = service.scored([Query.of(needs[qid])], target=target,
                                       filters=Filters(exclude_ids=excluded[qid]))
    columns = HIT_COLUMNS[target]
    for qid in qids:
        s = scored[qid]
        order, values = ranked_columns(s, columns)
        judged = {} if qid in none else qrels.get(qid, {})
        labels = np.array([1 if judged.get(s.table.ids[j], 0) > 0 else 0
                           for j in order[:HIT_RANKS]], dtype=np.int64)
        rows.ids.append(qid)
        rows.evidence.append(s.evidence if s.evidence is not None
                             else np.zeros(len(EVIDENCE)))
        rows.good.append(int(labels[0]) if len(labels) else 0)
        rows.values.append(values[:HIT_RANKS])
        rows.labels.append(labels)
        rows.duplicates.append(duplicates(s.vectors[order[:HIT_RANKS]],
                                          service.duplicate_threshold)
                               if target == "achievement" else [])
    return rows


def achievement_rows(settings: Settings, ds: Dataset, half: int | None) -> Rows:
    ws = open_workspace(ds, settings)
    try:
        service = MatchService(ws.engine, model=RankerModel())
        good, none = _half(ds.query_ids(), half), _half(ds.unanswerable_ids(), half)
        needs = needs_from_queries({q: ds.queries[q] for q in [*good, *none]})
        return scored_rows(service, needs, ds.qrels, set(none), "achievement")
    finally:
        ws.engine.close()


def expert_rows(settings: Settings, ds: Dataset, half: int | None) -> Rows:
    """The need→expert set's needs as they are, plus each again with every relevant expert
    (grade ≥ 1: its whole discipline) left out, as a need no expert fits (label 0)."""
    ws = open_workspace(ds, settings)
    try:
        service = MatchService(ws.engine, model=RankerModel())
        qrels = expert_qrels(ds)
        good = _half([q for q in ds.query_ids() if q in qrels], half)
        out = {OTHER + q: sorted(e for e, g in qrels[q].items() if g > 0) for q in good}
        needs = needs_from_queries({**{q: ds.queries[q] for q in good},
                                    **{OTHER + q: ds.queries[q] for q in good}})
        return scored_rows(service, needs, qrels, set(out), "expert", excluded=out)
    finally:
        ws.engine.close()


def columns(values: np.ndarray, kind: str, wanted: Sequence[str]) -> np.ndarray:
    """The `wanted` columns of `Rows.values` (which hold HIT_COLUMNS[kind]): a model fitted
    with other columns reads its own."""
    have = HIT_COLUMNS[kind]
    return values[:, [have.index(c) for c in wanted]]


def probabilities(model: AbstainModel, rows: Rows,
                  close: AbstainModel | None = None) -> np.ndarray:
    """(n,) P(top hit good) of every need in `rows`, refined by `model.top` when set and
    combined with `close` (the model `model.close` names) when given."""
    evidence = np.vstack(rows.evidence)
    p = model.probability(evidence)
    if model.top is not None:
        x = np.vstack([hit_inputs(float(pi), columns(v[:1], model.kind, model.top.columns))
                       for pi, v in zip(p, rows.values, strict=True)])
        p = model.top.probability(x)
    return p if close is None else combine(close.probability(evidence), p)


def fit_hit_model(rows: Rows, model: AbstainModel, kind: str, c: float,
                  close: AbstainModel | None = None,
                  weight: np.ndarray | None = None) -> HitModel:
    """The `HitModel` of ranks 2..HIT_RANKS given the model's P per need; `weight` (n,):
    per need, given to each of its hits."""
    p = probabilities(model, rows, close)
    weight = np.ones(len(p)) if weight is None else weight
    deep = [j for j, v in enumerate(rows.values) if len(v) > 1]
    xs = [hit_inputs(float(p[j]), rows.values[j])[1:] for j in deep]
    ys = [rows.labels[j][1:] for j in deep]
    ws = [np.full(len(rows.values[j]) - 1, weight[j]) for j in deep]
    return fit_hits(np.vstack(xs), np.concatenate(ys), HIT_COLUMNS[kind], c=c,
                    weight=np.concatenate(ws))


def fit_top(rows: Rows, model: AbstainModel, kind: str, c: float,
            weight: np.ndarray | None = None) -> HitModel:
    """The refinement of the evidence model's P with the top hit's ranker features."""
    p = model.probability(np.vstack(rows.evidence))
    x = np.vstack([hit_inputs(float(pi), v[:1]) for pi, v in zip(p, rows.values, strict=True)])
    return fit_hits(x, np.array(rows.good), HIT_COLUMNS[kind], c=c, weight=weight)


def _metrics(model: AbstainModel, rows: Rows, source: str, c: float,
             close: AbstainModel | None = None) -> dict[str, object]:
    from sklearn.metrics import roc_auc_score

    y = np.array(rows.good)
    p = probabilities(model, rows, close)
    return {"trained_on": source, "needs": len(y), "good_top": int(y.sum()), "c": c,
            "hit_pairs": int(sum(max(len(v) - 1, 0) for v in rows.values)),
            "auroc_in_sample": round(float(roc_auc_score(y, p)), 4)}


def fit_defaults(settings: Settings, answerable_sets: list[Path], expert_sets: list[Path],
                 half: int | None, kinds: tuple[str, ...] = ("achievement", "expert"),
                 c: float = 1.0, close: AbstainModel | None = None, *,
                 unanswerable_weight: float = UNANSWERABLE_WEIGHT
                 ) -> dict[str, AbstainModel]:
    """The kinds' models, each with its training counts in `metrics`. The expert model's
    confidence combines its own P with the achievement model's on the experts' works
    (`AbstainModel.close`): the one fitted here, else `close`. The experts' left-out copies
    are weighted `unanswerable_weight` (module docstring)."""
    suffix = f" half {half}" if half else ""
    out: dict[str, AbstainModel] = {}
    if "achievement" in kinds:
        sets = [load_dataset(p) for p in answerable_sets]
        rows = Rows()
        for ds in sets:
            rows.extend(achievement_rows(settings, ds, half))
        model = fit_abstain(np.vstack(rows.evidence), np.array(rows.good), kind="achievement",
                            encoder=rows.encoder, c=c, features=FITTED)
        model.hits = fit_hit_model(rows, model, "achievement", c)
        model.metrics = _metrics(model, rows, " + ".join(ds.name for ds in sets) + suffix, c)
        out["achievement"] = model
    if "expert" in kinds:
        expert_data = [load_dataset(p) for p in expert_sets]
        rows = Rows()
        for ds in expert_data:
            rows.extend(expert_rows(settings, ds, half))
        weight = rows.weights(unanswerable_weight)
        model = fit_abstain(np.vstack(rows.evidence), np.array(rows.good), kind="expert",
                            encoder=rows.encoder, c=c, features=FITTED_EXPERT,
                            weight=weight)
        model.top = fit_top(rows, model, "expert", c, weight)
        works = out.get("achievement", close)
        if works is not None:
            model.close = "achievement"
        model.hits = fit_hit_model(rows, model, "expert", c, works, weight)
        names = " + ".join(ds.name for ds in expert_data)
        model.metrics = {**_metrics(model, rows, f"{names}{suffix}, each need also "
                                                 f"with its relevant experts left out "
                                                 f"(weight {unanswerable_weight})", c,
                                    works)}
        out["expert"] = model
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answerable-set", type=Path, action="append", required=True,
                        help="a set with unanswerable.txt (repeatable)")
    parser.add_argument("--expert-set", type=Path, action="append", required=True,
                        help="a need→expert set (repeatable)")
    parser.add_argument("--half", type=int, choices=(1, 2), default=None)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation")
    parser.add_argument("--expert-unanswerable-weight", type=float,
                        default=UNANSWERABLE_WEIGHT,
                        help="weight of each need's copy with its relevant experts left out")
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
    kept = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    close = (AbstainModel.model_validate(kept["achievement"]) if "achievement" in kept
             else default_abstain("achievement"))
    models = fit_defaults(settings, args.answerable_set, args.expert_set, args.half,
                          tuple(args.kind or ("achievement", "expert")), c=args.c,
                          close=close, unanswerable_weight=args.expert_unanswerable_weight)
    kept.update({k: m.model_dump() for k, m in models.items()})
    args.out.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(json.dumps({k: m.metrics for k, m in models.items()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
