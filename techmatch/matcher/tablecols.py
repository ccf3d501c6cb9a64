"""The achievement feature table built column by column (issue 19: the batch's per-need cost).

`features.build_table` builds one dict per candidate and then one list of every feature name
per candidate (about 2,000 lookups per need); at 10,000 needs over 100,000 achievements that
per-row Python was about 8 % of the batch (py-spy). `achievement_table` gives the same
table — the same columns, the same floats — computing each column once over the need's
candidates: retrieval
scores as numpy divisions, the token overlap of a candidate once for `term_coverage` and
`keyword_jaccard`, the facet, region, recency and maturity columns in one pass; the list, PRF
and style-gated columns as `features._fill_prf` computes them, with a `CandidateMemo`'s
lower-cased texts for `phrase_coverage`. Used by the batch
(the service with a `CandidateMemo`) for achievement targets; anything else — experts, work
evidence, records of another kind — goes through `build_table`. tests/matcher/test_tablecols.py
checks the two agree value for value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

import numpy as np

from techmatch.matcher.features import (
    FEATURES,
    FeatureTable,
    Query,
    _fill_prf,
    _fill_unknown,
    agreement,
    disciplines,
    facet_set,
    fill_hybrid,
    fill_prf_columns,
    industries,
    list_maxima,
    recency,
    region,
)
from techmatch.matcher.memo import CandidateMemo
from techmatch.matcher.prf import PRF_FEATURES
from techmatch.models.records import Achievement, Record
from techmatch.models.results import Ranking

KIND = "achievement"


def applies(kind: str, records: Mapping[str, Record]) -> bool:
    """Whether `achievement_table` builds this table (achievement targets, achievements only)."""
    return kind == KIND and all(isinstance(r, Achievement) for r in records.values())


def achievement_table(query: Query, q_tokens: frozenset[str], ranking: Ranking,
                      records: Mapping[str, Record], tokens: Mapping[str, frozenset[str]],
                      dense: np.ndarray, *, now: datetime | None = None,
                      translated: frozenset[str] = frozenset(),
                      vectors: np.ndarray | None = None, prf: bool = True,
                      memo: CandidateMemo | None = None) -> FeatureTable:
    """`features.build_table(query, q_tokens, ranking, "achievement", records, tokens, dense,
    ...)` without works or load (achievements have neither), when `applies`; with `memo`,
    the phrase column from its lower-cased texts."""
    names = FEATURES[KIND]
    now = now or datetime.now(timezone.utc)
    hits = ranking.hits
    max_fused, max_lex, max_dense = list_maxima(hits, dense)
    keep = [i for i, h in enumerate(hits) if h.id in records]
    ids = [hits[i].id for i in keep]
    recs: list[Achievement] = [records[rid] for rid in ids]  # type: ignore[misc]  # applies()
    values = np.zeros((len(ids), len(names)), dtype=np.float64)

    def put(name: str, column: np.ndarray | list[float]) -> None:
        if name in names:
            values[:, names.index(name)] = column

    put("fused", np.array([hits[i].score for i in keep], dtype=np.float64) / max_fused)
    put("lexical", np.array([hits[i].lexical.score or 0.0 for i in keep],
                            dtype=np.float64) / max_lex)
    cos = np.asarray(dense, dtype=np.float64)[keep] if keep else np.zeros(0)
    put("dense", cos)
    put("dense_gap", cos - max_dense)
    c_toks = [tokens.get(rid, frozenset()) for rid in ids]
    shared = [len(q_tokens & c) for c in c_toks]
    n_q, n_t = len(q_tokens), len(translated)
    put("term_coverage", [max(s / n_q if n_q else 0.0,
                              len(translated & c) / n_t if n_t else 0.0)
                          for s, c in zip(shared, c_toks, strict=True)])
    put("keyword_jaccard", _keyword_jaccard(query, n_q, recs, c_toks, shared))
    q_disc, q_ind = disciplines(query.record), industries(query.record)
    if q_disc:
        put("discipline", [agreement(q_disc, disciplines(r)) for r in recs])
    if q_ind:
        put("industry", [agreement(q_ind, industries(r)) for r in recs])
    if query.record is not None:
        put("region", [region(query.record, r) for r in recs])
    put("recency", [recency(r, now) for r in recs])
    put("maturity", [(r.maturity or 0) / 9.0 for r in recs])  # achievements only (applies)
    _fill_unknown(values)
    if memo is None:
        _fill_prf(values, names, ids, hits, records, tokens, vectors, prf=prf,
                  query_text=query.text)
    else:
        _fill_list(values, names, ids, [hits[i].score for i in keep], recs, c_toks,
                   vectors[keep] if vectors is not None and len(vectors) == len(hits)
                   else None, memo, prf=prf, query_text=query.text)
    return FeatureTable(ids=ids, names=names, values=values)


def _fill_list(values: np.ndarray, names: tuple[str, ...], ids: list[str],
               scores: list[float], recs: list[Achievement], c_toks: list[frozenset[str]],
               vectors: np.ndarray | None, memo: CandidateMemo, *, prf: bool,
               query_text: str) -> None:
    """`features._fill_prf` of the kept hits, with the memo's texts."""
    fill_hybrid(values, names, len(ids), query_text, lambda: [memo.text(r) for r in recs])
    if not prf or not ids or not set(PRF_FEATURES) & set(names):
        return
    fill_prf_columns(values, names, [disciplines(r) for r in recs], c_toks,
                     np.array(scores, dtype=np.float64), vectors,
                     lambda: [memo.lowered(r) for r in recs], query_text)


def _keyword_jaccard(query: Query, n_q: int, recs: list[Achievement],
                     c_toks: list[frozenset[str]], shared: list[int]) -> list[float]:
    """`features.keyword_jaccard` per candidate: on keywords when both sides have them, else
    on token sets (`shared`: |query tokens ∩ candidate tokens|, already counted)."""
    q_kw = facet_set(query.record.keywords) if query.record is not None else frozenset()
    out = []
    for rec, c, s in zip(recs, c_toks, shared, strict=True):
        if q_kw and (c_kw := facet_set(rec.keywords)):
            both = len(q_kw & c_kw)
            union = len(q_kw) + len(c_kw) - both
        else:
            both, union = s, n_q + len(c) - s
        out.append(both / union if union else 0.0)
    return out


__all__ = ["achievement_table", "applies"]
