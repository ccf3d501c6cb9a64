"""Ranking features per (query, candidate) pair: retrieval scores, overlap, facets, affinity.

Every feature is a float in a small fixed range so that a linear model's contribution
(weight × value) reads directly. Names per target kind are in `FEATURES`; signed facet
agreements are +1 (agree), 0 (unknown on either side), −1 (disagree).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from techmatch.matcher.facets import facet_values, normalized
from techmatch.matcher.prf import (
    HYBRID_LEXICAL_WEIGHT,
    LIST_FEATURES,
    PRF_FEATURES,
    STYLE_FEATURES,
    STYLED_FEATURES,
    minmax,
    patent_hybrid,
    phrase_coverage,
    prf_columns,
    styled_columns,
    top_discipline,
)
from techmatch.matcher.querystyle import query_style
from techmatch.models.records import Achievement, Expert, Record
from techmatch.models.results import Hit, Ranking

COMMON: tuple[str, ...] = ("fused", "lexical", "dense", "dense_gap", "term_coverage",
                           "keyword_jaccard", "discipline", "industry", "region",
                           *LIST_FEATURES, *PRF_FEATURES, *STYLE_FEATURES)
FEATURES: dict[str, tuple[str, ...]] = {
    "achievement": (*COMMON, "maturity", "recency"),
    "need": (*COMMON, "recency"),
    "expert": (*COMMON, "work_max", "work_mean", "work_dense_max", "capacity", "available",
               "work_votes", "work_dense_mean", "work_field", "field_profile"),
}
WORK_TOP_K = 3
# An expert's own retrieval signals (profile text vs the need), zero when the profile is empty.
PROFILE_SIGNALS = ("fused", "lexical", "dense", "dense_gap", "term_coverage", "keyword_jaccard")
WORK_VOTES_K = 5  # work_votes: mean of the best 5 work scores, absent works count 0
RECENCY_YEARS = 3.0
CAPACITY_SCALE = 5.0
# the target kind whose `hybrid_mm` takes a patent-language query's phrase evidence: measured
# on achievements (patents restating their title), not on needs or experts
PHRASE_KIND = "achievement"
_FACET_SPLIT = re.compile(r"[/、,，;；|]+")


@dataclass
class Query:
    """What is asked: the original display text and, when the query is a record, the record."""

    text: str
    record: Record | None = None
    id: str | None = None

    @classmethod
    def of(cls, value: str | Record) -> Query:
        if isinstance(value, str):
            return cls(text=value)
        return cls(text=value.text(), record=value, id=value.id)


@dataclass
class WorkScores:
    """Need→achievement evidence for experts: hybrid score per achievement (max-normalised)
    and the dense cosine of every work of the candidate experts."""

    hybrid: dict[str, float] = field(default_factory=dict)
    dense: dict[str, float] = field(default_factory=dict)
    # disciplines of the candidate experts' works, and the need's field sample: (weight,
    # disciplines) of its best-ranked achievements (techmatch.matcher.experts.field_sample)
    fields: dict[str, frozenset[str]] = field(default_factory=dict)
    # discipline → cosine of the need to the discipline's centroid over all achievements
    # (techmatch.matcher.fieldprofile)
    profile: dict[str, float] = field(default_factory=dict)
    field: tuple[tuple[float, frozenset[str]], ...] = ()


@dataclass
class FeatureTable:
    """Feature values for one query's candidates: `values` shape (len(ids), len(names))."""

    ids: list[str]
    names: tuple[str, ...]
    values: np.ndarray

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]

    def row(self, i: int) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, self.values[i], strict=True)}


def facet_set(values: Sequence[str | None] | str | None) -> frozenset[str]:
    """Normalised facet values; '化学/化学工程' counts as both parts."""
    if values is None:
        return frozenset()
    return facet_values((values,) if isinstance(values, str) else tuple(values))  # cached


def disciplines(record: Record | None) -> frozenset[str]:
    if isinstance(record, Expert):
        return facet_set(record.disciplines)
    return facet_set(getattr(record, "discipline", None))


def industries(record: Record | None) -> frozenset[str]:
    if isinstance(record, Expert):
        return facet_set(record.industries)
    return facet_set(getattr(record, "industry", None))


def agreement(left: frozenset[str], right: frozenset[str]) -> float:
    """+1 when the sets share a value, −1 when both are known and disjoint, 0 when unknown."""
    if not left or not right:
        return 0.0
    return 1.0 if left & right else -1.0


def region(query: Record | None, candidate: Record) -> float:
    """Same city 1, same province 0.5, elsewhere or unknown 0."""
    if query is None:
        return 0.0
    qc, cc = normalized(query.city or ""), normalized(candidate.city or "")
    if qc and qc == cc:
        return 1.0
    qp, cp = normalized(query.province or ""), normalized(candidate.province or "")
    return 0.5 if qp and qp == cp else 0.0


def recency(record: Record, now: datetime) -> float:
    """exp(−age / 3 years) of the last update (or creation); unknown dates give 0."""
    stamp = record.updated_at or record.created_at
    if stamp is None:
        return 0.0
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    years = max((now - stamp).total_seconds(), 0.0) / (365.25 * 86400)
    return math.exp(-years / RECENCY_YEARS)


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    shared = len(left & right)  # |A ∪ B| = |A| + |B| − |A ∩ B|: no union set is built
    union = len(left) + len(right) - shared
    return shared / union if union else 0.0


def keyword_jaccard(query: Query, q_tokens: frozenset[str], candidate: Record,
                    c_tokens: frozenset[str]) -> float:
    """Jaccard on normalised keywords when both sides have keywords, else on token sets."""
    q_kw = facet_set(query.record.keywords) if query.record is not None else frozenset()
    if q_kw and (c_kw := facet_set(candidate.keywords)):  # free text has no keywords
        return jaccard(q_kw, c_kw)
    return jaccard(q_tokens, c_tokens)


def work_affinity(expert: Expert, works: WorkScores) -> tuple[float, float, float]:
    """(max, mean of top-k, best dense cosine) over the expert's works."""
    if not expert.works:
        return 0.0, 0.0, 0.0
    scores = sorted((works.hybrid.get(w, 0.0) for w in expert.works), reverse=True)
    top = scores[:WORK_TOP_K]
    dense = [works.dense[w] for w in expert.works if w in works.dense]
    return scores[0], float(np.mean(top)), max(dense) if dense else 0.0


def work_profile(expert: Expert, works: WorkScores) -> tuple[float, float]:
    """(votes, mean dense cosine) over the expert's works: the votes are the sum of the best
    WORK_VOTES_K work scores / WORK_VOTES_K (CombSUM voting, Macdonald & Ounis, CIKM 2006:
    several fitting works outweigh one), the mean cosine reads the expert's field as a whole."""
    scores = sorted((works.hybrid.get(w, 0.0) for w in expert.works), reverse=True)
    dense = [works.dense[w] for w in expert.works if w in works.dense]
    return (sum(scores[:WORK_VOTES_K]) / WORK_VOTES_K,
            float(np.mean(dense)) if dense else 0.0)


def expert_field(expert: Expert, works: WorkScores) -> frozenset[str]:
    """The expert's field: their own disciplines plus those of their works."""
    return disciplines(expert).union(*(works.fields.get(w, frozenset()) for w in expert.works))


def work_field(expert: Expert, works: WorkScores) -> float | None:
    """Share of the need's field sample (weighted) that the expert's field covers: the
    disciplines of their works plus their own; None when either side is unknown."""
    own = expert_field(expert, works)
    total = sum(w for w, _ in works.field)
    if not own or total <= 0.0:
        return None
    return sum(w for w, ds in works.field if ds & own) / total


def field_profile(own: frozenset[str], profile: Mapping[str, float]) -> float | None:
    """How far the expert's field `own` is from the need's closest field: the best centroid
    cosine (`WorkScores.profile`) over `own` less the best over every discipline (0 for an
    expert of the need's closest field, negative for the others); None when none of `own` is
    known. Relative, so the score of an expert of the right field is not raised and the
    uncalibrated squashing keeps its scale."""
    known = [profile[d] for d in own if d in profile]
    return max(known) - max(profile.values()) if known else None


def _cover(q_tokens: frozenset[str], c_tokens: frozenset[str]) -> float:
    return len(q_tokens & c_tokens) / len(q_tokens) if q_tokens else 0.0


def capacity(expert: Expert, load: Mapping[str, int]) -> float:
    """Remaining capacity (capacity − current assignments) scaled to [0, 1]."""
    remaining = max(expert.capacity - load.get(expert.id, 0), 0)
    return min(remaining, CAPACITY_SCALE) / CAPACITY_SCALE


def list_maxima(hits: Sequence[Hit], dense: np.ndarray) -> tuple[float, float, float]:
    """The candidate list's best fused and lexical scores (1 when none is positive), the
    scales `fused` and `lexical` are divided by, and its best cosine (0 for no hits), the
    reference of `dense_gap`."""
    max_fused = max((h.score for h in hits), default=0.0) or 1.0
    max_lex = max((h.lexical.score or 0.0 for h in hits), default=0.0) or 1.0
    return max_fused, max_lex, float(dense.max()) if dense.size else 0.0


def build_table(query: Query, q_tokens: frozenset[str], ranking: Ranking, kind: str,
                records: Mapping[str, Record], tokens: Mapping[str, frozenset[str]],
                dense: np.ndarray, *, works: WorkScores | None = None,
                load: Mapping[str, int] | None = None,
                now: datetime | None = None,
                translated: frozenset[str] = frozenset(),
                vectors: np.ndarray | None = None, prf: bool = True) -> FeatureTable:
    """Features of every hit of `ranking` whose record is known; `dense` (n_hits,) cosines.
    `translated`: the query's dictionary tokens (techmatch.matcher.crosslingual); a record in
    the other language covers the query through them. `vectors` (n_hits, dim): the hits'
    record vectors, for `prf_dense` (0 without them). `prf` False leaves the PRF columns 0
    (a model that does not weigh them need not pay for them)."""
    names = FEATURES[kind]
    now = now or datetime.now(timezone.utc)
    hits = ranking.hits
    max_fused, max_lex, max_dense = list_maxima(hits, dense)
    q_disc, q_ind = disciplines(query.record), industries(query.record)
    ids, rows = [], []
    for hit, cos in zip(hits, dense, strict=True):
        rec = records.get(hit.id)
        if rec is None:
            continue
        c_tok = tokens.get(hit.id, frozenset())
        row: dict[str, float | None] = {
            "fused": hit.score / max_fused,
            "lexical": (hit.lexical.score or 0.0) / max_lex,
            "dense": float(cos),
            "dense_gap": float(cos) - max_dense,
            "term_coverage": max(_cover(q_tokens, c_tok), _cover(translated, c_tok)),
            "keyword_jaccard": keyword_jaccard(query, q_tokens, rec, c_tok),
            # agreement() is 0 when the query's side is unknown (free text): no lookup then
            "discipline": agreement(q_disc, disciplines(rec)) if q_disc else 0.0,
            "industry": agreement(q_ind, industries(rec)) if q_ind else 0.0,
            "region": region(query.record, rec),
            "recency": recency(rec, now),
        }
        if isinstance(rec, Achievement):
            row["maturity"] = (rec.maturity or 0) / 9.0
        if isinstance(rec, Expert):
            if not rec.text().strip():  # no profile: its retrieval scores carry no evidence
                row.update(dict.fromkeys(PROFILE_SIGNALS, 0.0))
            row["work_max"], row["work_mean"], row["work_dense_max"] = work_affinity(
                rec, works or WorkScores())
            row["work_votes"], row["work_dense_mean"] = work_profile(rec, works or WorkScores())
            row["work_field"] = work_field(rec, works or WorkScores())  # None: filled below
            row["field_profile"] = field_profile(expert_field(rec, works or WorkScores()),
                                                 (works or WorkScores()).profile)
            row["capacity"] = capacity(rec, load or {})
            row["available"] = 1.0 if rec.available else 0.0
        ids.append(hit.id)
        rows.append([np.nan if (v := row.get(n, 0.0)) is None else v for n in names])
    values = np.array(rows, dtype=np.float64).reshape(len(ids), len(names))
    _fill_unknown(values)
    _fill_prf(values, names, ids, hits, records, tokens, vectors, prf=prf, query_text=query.text,
              phrase=kind == PHRASE_KIND)
    return FeatureTable(ids=ids, names=names, values=values)


def _fill_unknown(values: np.ndarray) -> None:
    """Unknown values (NaN, e.g. `work_field` of an expert without a known field) take their
    column's mean over the query's known candidates (neutral within the query), else 0."""
    unknown = np.isnan(values)
    for j in np.flatnonzero(unknown.any(axis=0)):
        known = values[~unknown[:, j], j]
        values[unknown[:, j], j] = float(known.mean()) if known.size else 0.0


def _fill_prf(values: np.ndarray, names: tuple[str, ...], ids: list[str], hits: Sequence[Hit],
              records: Mapping[str, Record], tokens: Mapping[str, frozenset[str]],
              vectors: np.ndarray | None, *, prf: bool = True, query_text: str = "",
              phrase: bool = True) -> None:
    """The list, PRF and style-gated columns (techmatch.matcher.prf) of the kept hits, in
    ranking order; the gated ones need the query's text (techmatch.matcher.querystyle);
    `phrase`: the patent-language phrase evidence in `hybrid_mm` (achievement targets)."""
    fill_hybrid(values, names, len(ids), query_text,
                (lambda: [records[rid].text() for rid in ids]) if phrase else None)
    if not prf or not ids or not set(PRF_FEATURES) & set(names):
        return
    pos = {h.id: i for i, h in enumerate(hits)}
    keep = [pos[rid] for rid in ids]
    scores = np.array([hits[i].score for i in keep], dtype=np.float64)
    kept_vectors = vectors[keep] if vectors is not None and len(vectors) == len(hits) else None
    fill_prf_columns(values, names, [disciplines(records[rid]) for rid in ids],
                     [tokens.get(rid, frozenset()) for rid in ids], scores, kept_vectors,
                     lambda: [records[rid].text().lower() for rid in ids], query_text)


def fill_hybrid(values: np.ndarray, names: tuple[str, ...], n: int, query_text: str = "",
                texts: Callable[[], Sequence[str]] | None = None) -> None:
    """The min-max scaled retrieval columns and their mixture, over the `n` kept rows; with
    the kept rows' `texts`, a patent-language query's phrase evidence mixed into the mixture
    (techmatch.matcher.prf.patent_hybrid: nothing is read or computed for other queries)."""
    if n and "hybrid_mm" in names:
        lex, den = (minmax(values[:, names.index(c)]) for c in ("lexical", "dense"))
        values[:, names.index("lexical_mm")], values[:, names.index("dense_mm")] = lex, den
        hybrid = HYBRID_LEXICAL_WEIGHT * lex + (1 - HYBRID_LEXICAL_WEIGHT) * den
        values[:, names.index("hybrid_mm")] = (hybrid if texts is None
                                               else patent_hybrid(hybrid, query_text, texts))


def fill_prf_columns(values: np.ndarray, names: tuple[str, ...],
                     facets: list[frozenset[str]], token_sets: list[frozenset[str]],
                     scores: np.ndarray, vectors: np.ndarray | None,
                     lowered: Callable[[], list[str]], query_text: str) -> None:
    """The PRF and style-gated columns from the kept rows' disciplines, token sets, scores
    and vectors; `lowered()` gives their lower-cased texts (read only for list-style queries)."""
    cols = prf_columns(facets, token_sets, scores, vectors)
    if STYLED_FEATURES.keys() & set(names):
        style = query_style(query_text)
        cols["top_discipline"] = top_discipline(facets)
        cols["phrase_coverage"] = phrase_coverage(style.phrases, lowered()) \
            if style.list_style else np.zeros(len(facets))
        cols.update(styled_columns(style.list_style, cols))
    for name, col in cols.items():
        if name in names:
            values[:, names.index(name)] = col


__all__ = ["FEATURES", "FeatureTable", "Query", "WorkScores", "build_table",
           "disciplines", "expert_field", "facet_set", "field_profile", "industries", "list_maxima",
           "work_field"]
