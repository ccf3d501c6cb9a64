"""'No good match' evaluation: does the top confidence separate answerable from unanswerable
needs, and whom does the default threshold route to staff?

For a set with `unanswerable.txt`, every answerable and unanswerable query is matched by the
full ranker (`ranker-default`, the shipped model; `ranker` and `ranker-untrained` when asked
for). Reported per configuration:

- AUROC of the top hit's confidence, answerable = positive class (Hanley & McNeil, Radiology
  1982; computed by scikit-learn's `roc_auc_score`);
- routed shares at the default threshold (the settings' `confidence_threshold`): the share of
  unanswerable needs routed to staff (should be high) and of answerable needs (should be low);
- expected calibration error of the top hits (label: the top hit is relevant) and of the
  top-10 hits (label: relevant; every hit of an unanswerable need is non-relevant).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from techmatch.eval.configs import RANKER_MODELS, EvalContext
from techmatch.matcher.calibrate import reliability

TOP_HITS = 10


def auroc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve of `scores` for 0/1 `labels` (None with one class only)."""
    from sklearn.metrics import roc_auc_score

    if len(set(labels)) < 2:
        return None
    return float(roc_auc_score(np.asarray(labels), np.asarray(scores, dtype=np.float64)))


def summarize(top: Mapping[str, float], routed: Mapping[str, bool], hits: Mapping[str, list],
              answerable: Sequence[str], unanswerable: Sequence[str],
              qrels: Mapping[str, Mapping[str, int]], threshold: float) -> dict[str, Any]:
    """The abstention numbers of one configuration (see module docstring)."""
    qids = [*answerable, *unanswerable]
    labels = [1] * len(answerable) + [0] * len(unanswerable)
    top1_conf, top1_rel, conf10, rel10 = [], [], [], []
    for qid in qids:
        judged = qrels.get(qid, {})
        for rank, (rid, conf) in enumerate(hits[qid][:TOP_HITS]):
            rel = 1 if judged.get(rid, 0) > 0 else 0
            conf10.append(conf)
            rel10.append(rel)
            if rank == 0:
                top1_conf.append(conf)
                top1_rel.append(rel)

    def share(ids: Sequence[str]) -> float | None:
        return sum(routed[q] for q in ids) / len(ids) if ids else None

    return {
        "answerable": len(answerable), "unanswerable": len(unanswerable),
        "threshold": threshold,
        "auroc": auroc([top[q] for q in qids], labels),
        "routed_unanswerable": share(unanswerable),
        "routed_answerable": share(answerable),
        "ece_top1": reliability(np.array(top1_conf), np.array(top1_rel)).ece
        if top1_conf else None,
        f"ece_top{TOP_HITS}": reliability(np.array(conf10), np.array(rel10)).ece
        if conf10 else None,
        "reliability_top1": reliability(np.array(top1_conf), np.array(top1_rel)).model_dump()
        if top1_conf else None,
        "per_query": {q: {"top_confidence": top[q], "routed": routed[q]} for q in qids},
    }


def abstention_run(ctx: EvalContext, texts: Mapping[str, str], *, config: str,
                   target: str = "achievement", k: int = TOP_HITS
                   ) -> tuple[dict[str, float], dict[str, bool], dict[str, list]]:
    """(top confidence, routed, [(hit id, confidence)]) per query id of `texts`."""
    from techmatch.matcher.train import needs_from_queries

    service = ctx.ranker_service(config)
    needs = needs_from_queries(dict(texts), ctx.query_meta)
    qids = sorted(needs)
    top: dict[str, float] = {}
    routed: dict[str, bool] = {}
    hits: dict[str, list] = {}
    for start in range(0, len(qids), 256):
        chunk = qids[start:start + 256]
        rankings = service.match_many([needs[q] for q in chunk], target=target, k=k,
                                      explain=False)
        for qid, ranking in zip(chunk, rankings, strict=True):
            pairs = [(h.id, float(h.confidence or 0.0)) for h in ranking.hits]
            hits[qid] = pairs
            top[qid] = max((c for _, c in pairs), default=0.0)
            routed[qid] = bool(ranking.routed_to_staff)
    return top, routed, hits


def score_abstention(ctx: EvalContext, queries: Mapping[str, str],
                     answerable: Sequence[str], unanswerable: Sequence[str],
                     qrels: Mapping[str, Mapping[str, int]], *, configs: Sequence[str],
                     threshold: float) -> dict[str, Any]:
    """`summarize` for each ranker configuration in `configs` (RANKER_MODELS)."""
    texts = {q: queries[q] for q in [*answerable, *unanswerable]}
    out: dict[str, Any] = {}
    for name in configs:
        if name not in RANKER_MODELS:
            continue
        top, routed, hits = abstention_run(ctx, texts, config=name)
        out[name] = summarize(top, routed, hits, answerable, unanswerable, qrels, threshold)
    return out
