"""Retrieval metrics by name (ndcg@10, mrr@10, recall@100, map, precision@5) via pytrec_eval.

Values come from pytrec_eval-terrier (Van Gysel & de Rijke, "Pytrec_eval: An Extremely Fast
Python Interface to trec_eval", SIGIR 2018), i.e. trec_eval's definitions: nDCG uses linear
gains (gain = grade, Järvelin & Kekäläinen 2002) — `ndcg_exp@k` the exponential gains
2^g − 1 (Burges et al. 2005) that the issue's reference numbers use; recall, MAP, P and
reciprocal rank count grade ≥ 1 as relevant. trec_eval's `recip_rank` has no cutoff, so
mrr@k truncates each ranking to k before evaluation. Runs are ranked id lists; scores are
derived from rank so trec_eval's own tie-breaking (by document id) never reorders them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from techmatch.errors import ValidationError

Run = dict[str, list[str]]  # query id → ranked record ids (best first)
PerQuery = dict[str, float]  # query id → value

_NAME = re.compile(r"^(ndcg_exp|ndcg|mrr|recall|map|precision|p)(?:@(\d+))?$")


@dataclass(frozen=True)
class Metric:
    """A metric name resolved to a trec_eval measure; `cut` truncates the run first."""

    name: str
    measure: str  # what pytrec_eval is asked for, e.g. "ndcg_cut.10"
    key: str  # what it answers under, e.g. "ndcg_cut_10"
    cut: int | None = None
    exp_gain: bool = False  # grades g are turned into gains 2^g − 1 before evaluation


def parse_metric(name: str) -> Metric:
    """`ndcg@10` → ndcg_cut_10, `mrr@10` → recip_rank over the top 10, `recall@100` → recall_100,
    `map` → map, `map@k` → map_cut_k, `precision@5`/`p@5` → P_5, `ndcg` → ndcg;
    `ndcg_exp@10` → ndcg_cut_10 over qrels whose grades g are replaced by gains 2^g − 1."""
    clean = name.strip().lower()
    match = _NAME.match(clean)
    if match is None:
        raise ValidationError(f"未知评测指标 {name.strip()}（可选：ndcg[@k]、ndcg_exp[@k]、"
                              f"mrr[@k]、recall@k、map[@k]、precision@k（p@k））",
                              field="metrics")
    family, cut_text = match.group(1), match.group(2)
    cut = int(cut_text) if cut_text else None
    if cut is not None and cut < 1:
        raise ValidationError(f"{name.strip()} 的截断位置应不小于 1", field="metrics")
    if family == "mrr":
        return Metric(clean, "recip_rank", "recip_rank", cut)
    if family == "ndcg_exp":
        measure, key = (f"ndcg_cut.{cut}", f"ndcg_cut_{cut}") if cut else ("ndcg", "ndcg")
        return Metric(clean, measure, key, exp_gain=True)
    if family in ("recall", "precision", "p") and cut is None:
        raise ValidationError(f"{name.strip()} 需要截断位置，如 {family}@10", field="metrics")
    trec = {"ndcg": "ndcg_cut", "recall": "recall", "map": "map_cut", "precision": "P",
            "p": "P"}[family]
    if cut is None:
        return Metric(clean, family, family)
    return Metric(clean, f"{trec}.{cut}", f"{trec}_{cut}")


def parse_metrics(names: Sequence[str] | str) -> list[Metric]:
    """Comma-separated or listed names, duplicates removed, order kept."""
    items = names.split(",") if isinstance(names, str) else list(names)
    out: dict[str, Metric] = {}
    for item in items:
        if item.strip():
            metric = parse_metric(item)
            out.setdefault(metric.name, metric)
    if not out:
        raise ValidationError("至少需要一个评测指标", field="metrics")
    return list(out.values())


def _scored(run: Mapping[str, Sequence[str]], cut: int | None,
            query_ids: Sequence[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for qid in query_ids:
        ranked = list(dict.fromkeys(run.get(qid, [])))
        ranked = ranked[:cut] if cut else ranked
        out[qid] = {rid: float(len(ranked) - i) for i, rid in enumerate(ranked)}
    return out


def evaluate(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Sequence[str]],
             metrics: Sequence[Metric | str], *,
             query_ids: Sequence[str] | None = None) -> dict[str, PerQuery]:
    """Per-query values: metric name → {query id → value}.

    Evaluated queries: `query_ids`, else every qrels query with a positive grade. A query the
    run does not answer scores 0 (pytrec_eval would silently skip it).
    """
    import pytrec_eval

    qids = list(query_ids) if query_ids is not None else sorted(
        q for q, docs in qrels.items() if any(g > 0 for g in docs.values()))
    judged = {q: {d: int(g) for d, g in qrels.get(q, {}).items()} for q in qids}
    judged = {q: docs for q, docs in judged.items() if docs}
    out: dict[str, PerQuery] = {}
    for metric in (parse_metric(m) if isinstance(m, str) else m for m in metrics):
        scored = _scored(run, metric.cut, list(judged))
        answered = {q: docs for q, docs in scored.items() if docs}
        gains = _exp_gains(judged) if metric.exp_gain else judged
        values = pytrec_eval.RelevanceEvaluator(gains, {metric.measure}).evaluate(answered) \
            if answered else {}
        out[metric.name] = {q: float(values.get(q, {}).get(metric.key, 0.0)) for q in qids}
    return out


def _exp_gains(qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Grades → gains 2^g − 1 (Burges et al., ICML 2005): trec_eval's nDCG takes the qrels value
    as the gain, so this gives the exponential-gain nDCG many IR toolkits report."""
    return {q: {d: (2 ** g - 1 if g > 0 else g) for d, g in docs.items()}
            for q, docs in qrels.items()}


def mean(per_query: PerQuery) -> float:
    """Arithmetic mean over queries (0 for none)."""
    return float(np.mean(list(per_query.values()))) if per_query else 0.0


def recall_curve(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Sequence[str]], *,
                 max_k: int = 100, query_ids: Sequence[str] | None = None) -> list[float]:
    """Mean recall@k for k = 1..max_k (index k-1), from one pytrec_eval call."""
    import pytrec_eval

    qids = list(query_ids) if query_ids is not None else sorted(
        q for q, docs in qrels.items() if any(g > 0 for g in docs.values()))
    if not qids:
        return [0.0] * max_k
    judged = {q: {d: int(g) for d, g in qrels.get(q, {}).items()} for q in qids}
    scored = {q: docs for q, docs in _scored(run, None, qids).items() if docs}
    cuts = ",".join(str(k) for k in range(1, max_k + 1))
    values = pytrec_eval.RelevanceEvaluator(judged, {f"recall.{cuts}"}).evaluate(scored) \
        if scored else {}
    return [float(np.mean([values.get(q, {}).get(f"recall_{k}", 0.0) for q in qids]))
            for k in range(1, max_k + 1)]
