"""Pseudo-relevance feedback features: what a candidate shares with the query's own top hits.

Grade-1 relevance (and what staff accept as "also fitting") is a record of the same field as
the best answers, sharing their specific terms. The query never says its field, but its own
retrieved list does: the first `PRF_K` hits (fused order), weighted by their fused score, form
a pseudo-relevant set, and each candidate is compared with it on three sides:

- `prf_discipline`: the weighted share of the other top hits whose discipline the candidate
  shares, centred over the candidates whose discipline is known (so a record without a
  discipline, e.g. a patent, stays at 0 and does not look worse or better than an average
  one: the feature cannot learn "papers are relevant" from a set where only papers are);
- `prf_terms`: weighted mean token Jaccard with the other top hits;
- `prf_dense`: cosine of the candidate's vector with the weighted mean vector of the top hits
  (dense PRF, Rocchio's centroid).

Only the query's own candidate list is read: no label, no query metadata.

Two list normalisations sit beside them: `lexical_mm` and `dense_mm`, the BM25 score and the
dense cosine min-max scaled over the query's candidates (what weighted fusion sums), so a
linear model can express the weighted hybrid exactly; `hybrid_mm` is that sum
(0.5 · lexical_mm + 0.5 · dense_mm), so a fit restricted to it keeps the hybrid's ranking and
only learns its scale (`train-ranker`/`loso --features hybrid_mm`).

Style-gated list evidence (`STYLED_FEATURES`): the three PRF columns and two more list
features — `top_discipline` (+1 the candidate shares the discipline of the top hit, −1 it does
not, 0 unknown; the top hit is compared with the second) and `phrase_coverage` (share of the
query's phrases found verbatim in the candidate's text) — each centred over the query's
candidates and multiplied by the query's `list_style` (techmatch.matcher.querystyle), and
`list_style` itself (the gate; constant within a query, so it ranks nothing: it tells the
fit how many list-style queries it saw).

Phrase evidence for patent language (`phrase_bm25`, `patent_hybrid`): BM25 over character
bigrams with document frequencies and mean length from the candidate list itself (no index
of its own), mixed into `hybrid_mm` with the a-priori share PHRASE_SHARE × the query's
`patent_style` (techmatch.matcher.querystyle); 0 for any other query, which then computes
nothing of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import accumulate

import numpy as np

from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher import _overlap, _textmask
from techmatch.matcher.querystyle import list_style, patent_style

PRF_K = 10
PRF_FEATURES = ("prf_discipline", "prf_terms", "prf_dense")
LIST_FEATURES = ("lexical_mm", "dense_mm", "hybrid_mm")
STYLE_GATE = "list_style"
# styled feature -> the list-evidence column it gates by `list_style`
STYLED_FEATURES: dict[str, str] = {
    "list_prf_discipline": "prf_discipline", "list_prf_terms": "prf_terms",
    "list_prf_dense": "prf_dense", "list_top_discipline": "top_discipline",
    "list_phrase_coverage": "phrase_coverage",
}
STYLE_FEATURES = (STYLE_GATE, *STYLED_FEATURES)
HYBRID_LEXICAL_WEIGHT = 0.5  # RetrievalParams.lexical_weight's default
PHRASE_SHARE = 1 / 3  # phrase evidence's share of `hybrid_mm` at patent_style 1 (a priori)
PHRASE_K1, PHRASE_B = 1.2, 0.75
_NON_WORD = re.compile(r"[^\w\u3400-\u9fff]")
_SEP = "\x00"  # joins texts for `phrase_coverage` (no text or phrase holds it, or no joining)


def _weights(scores: np.ndarray) -> np.ndarray:
    """Fused scores of the top hits as non-negative weights (uniform when all are 0)."""
    w = np.clip(np.asarray(scores, dtype=np.float64), 0.0, None)
    return w if w.sum() > 0 else np.ones_like(w)


def _leave_one_out(matrix: np.ndarray, w: np.ndarray, top: int) -> np.ndarray:
    """Weighted mean over the top hits of `matrix[i, j]` (j < top), without j == i."""
    m = matrix[:, :top] * w[:top]
    total = np.full(matrix.shape[0], w[:top].sum())
    own = np.arange(matrix.shape[0]) < top
    idx = np.arange(matrix.shape[0])[own]
    m[idx, idx] = 0.0
    total[own] -= w[idx]
    return np.where(total > 0, m.sum(axis=1) / np.where(total > 0, total, 1.0), 0.0)


def discipline_agreement(facets: Sequence[frozenset[str]], scores: np.ndarray,
                         k: int = PRF_K) -> np.ndarray:
    """`prf_discipline` per candidate (see module docstring)."""
    n = len(facets)
    if n == 0:
        return np.zeros(0)
    top = min(k, n)
    share = np.array([[1.0 if a and facets[j] and a & facets[j] else 0.0 for j in range(top)]
                      for a in facets]).reshape(n, top)
    raw = _leave_one_out(share, _weights(scores), top)
    known = np.array([bool(f) for f in facets])
    if not known.any():
        return np.zeros(n)
    return np.where(known, raw - raw[known].mean(), 0.0)


def term_agreement(token_sets: Sequence[frozenset[str]], scores: np.ndarray,
                   k: int = PRF_K) -> np.ndarray:
    """`prf_terms`: weighted mean Jaccard of each candidate's tokens with the other top hits.
    |candidate ∩ top hit| counted in C (techmatch.matcher._overlap: exact integers, as the 0/1
    token matrix product they replace gave)."""
    n = len(token_sets)
    if n == 0:
        return np.zeros(0)
    top = min(k, n)
    if top > _overlap.MAX_TOP:
        inter = np.array([[len(a & b) for b in token_sets[:top]] for a in token_sets],
                         dtype=np.float64).reshape(n, top)
    else:
        inter = np.frombuffer(_overlap.pair_counts(token_sets, top),
                              dtype=np.int64).reshape(n, top).astype(np.float64)
    sizes = np.array([len(t) for t in token_sets], dtype=np.float64)
    union = sizes[:, None] + sizes[None, :top] - inter
    sim = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return _leave_one_out(sim, _weights(scores), top)


def centroid_similarity(vectors: np.ndarray, scores: np.ndarray, k: int = PRF_K) -> np.ndarray:
    """`prf_dense`: cosine with the score-weighted mean of the top hits' (unit) vectors."""
    n = len(vectors)
    if n == 0 or vectors.ndim != 2:
        return np.zeros(n)
    top = min(k, n)
    centroid = (_weights(scores)[:top, None] * vectors[:top]).sum(axis=0)
    norm = float(np.linalg.norm(centroid))
    if norm == 0.0:
        return np.zeros(n)
    lengths = np.linalg.norm(vectors, axis=1)
    return (vectors @ (centroid / norm)) / np.where(lengths > 0, lengths, 1.0)


def top_discipline(facets: Sequence[frozenset[str]]) -> np.ndarray:
    """+1 when the candidate shares a discipline with the top hit, −1 when both are known and
    disjoint, 0 when either is unknown; the top hit itself is compared with the second."""
    n = len(facets)
    out = np.zeros(n)
    for i in range(n):
        ref = facets[1] if i == 0 and n > 1 else facets[0]
        if i == 0 and n < 2:
            continue
        if facets[i] and ref:
            out[i] = 1.0 if facets[i] & ref else -1.0
    return out


def phrase_coverage(phrases: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Share of the (lower-cased) query phrases found verbatim in each (lower-cased) text:
    each phrase looked up once in the texts joined (techmatch.matcher._textmask), the same
    counts as `p in t` per phrase and text."""
    if not phrases:
        return np.zeros(len(texts))
    if (not texts or len(texts) > _textmask.MAX_TEXTS
            or any(_SEP in t for t in texts) or any(_SEP in p for p in phrases)):
        return np.array([sum(p in t for p in phrases) / len(phrases) for t in texts])
    ends = list(accumulate(len(t) + 1 for t in texts))
    found = np.array(_textmask.masks(_SEP.join(texts), ends, list(phrases)), dtype=np.uint64)
    held = (found[:, None] >> np.arange(len(texts), dtype=np.uint64)) & np.uint64(1)
    return np.array([int(c) / len(phrases) for c in held.sum(axis=0)])


def styled_columns(gate: float, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`list_style` and every STYLED_FEATURES column: its base column centred over the
    query's candidates, × the gate. Centring leaves the order within a query as it is but
    keeps a styled weight from shifting every candidate of a list-style query (a cosine of
    0.85 × weight −47 would): the calibrator reads one score scale for every style."""
    n = len(next(iter(base.values()))) if base else 0
    out = {STYLE_GATE: np.full(n, gate)}
    out.update({name: (base[col] - base[col].mean()) * gate if gate and n else np.zeros(n)
                for name, col in STYLED_FEATURES.items()})
    return out


def minmax(values: np.ndarray) -> np.ndarray:
    """(v − min) / (max − min) over the query's candidates; 0 when all are equal."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return v
    lo, hi = float(v.min()), float(v.max())
    return (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)


def _word_runs(text: str) -> str:
    """The normalised, lower-cased text with every non-word character a space."""
    return _NON_WORD.sub(" ", normalize(text or "").lower())


def phrase_grams(text: str) -> list[str]:
    """Character bigrams of the normalised, lower-cased text within runs of word characters."""
    return [p[i:i + 2] for p in _word_runs(text).split() for i in range(len(p) - 1)]


def _gram_count(runs: str, gram: str) -> int:
    """Occurrences of a bigram in `runs`, overlapping ones counted ("aaa" holds "aa" twice)."""
    if gram[0] != gram[1]:
        return runs.count(gram)
    return sum(1 for _ in re.finditer(f"(?={re.escape(gram)})", runs))


def phrase_bm25(query: str, texts: Sequence[str]) -> np.ndarray:
    """BM25 (k1 1.2, b 0.75) of each text for the query's distinct character bigrams, with
    document frequencies and mean length (in bigrams) from `texts` (the query's candidate
    list). Counted with C-level substring counts, not a bigram list per text."""
    grams = list(dict.fromkeys(phrase_grams(query)))
    if not grams or not texts:
        return np.zeros(len(texts))
    runs = [_word_runs(t) for t in texts]
    hits = np.array([[_gram_count(r, g) for g in grams] for r in runs], dtype=np.float64)
    dl = np.array([sum(max(len(p) - 1, 0) for p in r.split()) for r in runs], dtype=np.float64)
    n, df, avgdl = len(texts), (hits > 0).sum(axis=0), max(float(dl.mean()), 1e-9)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    norm = PHRASE_K1 * (1 - PHRASE_B + PHRASE_B * dl / avgdl)
    return np.asarray((idf * hits * (PHRASE_K1 + 1) / (hits + norm[:, None])).sum(axis=1))


def patent_hybrid(hybrid: np.ndarray, query_text: str,
                  texts: Callable[[], Sequence[str]]) -> np.ndarray:
    """`hybrid_mm` with the list's phrase evidence mixed in for patent language:
    (1 − a·g) · hybrid + a · g · minmax(phrase_bm25), a = PHRASE_SHARE, g = patent_style;
    `hybrid` itself (and `texts` never read) when g is 0."""
    g = patent_style(query_text)
    if not g or not len(hybrid):
        return hybrid
    share = PHRASE_SHARE * g
    return (1 - share) * hybrid + share * minmax(phrase_bm25(query_text, texts()))


def uses_prf(model: object, text: str | None = None) -> bool:
    """True when a linear model (features, weights) gives a PRF feature a non-zero weight, or
    a style-gated one and the query `text` (None: any query) has some list style: a
    statement pays nothing for gated features that are 0 for it anyway."""
    weighted = {f for f, w in zip(getattr(model, "features", ()), getattr(model, "weights", ()),
                                  strict=False) if w != 0.0}
    if weighted & set(PRF_FEATURES):
        return True
    return bool(weighted & set(STYLED_FEATURES)) and (text is None or list_style(text) > 0)


def prf_columns(facets: Sequence[frozenset[str]], token_sets: Sequence[frozenset[str]],
                scores: np.ndarray, vectors: np.ndarray | None,
                k: int = PRF_K) -> dict[str, np.ndarray]:
    """The three PRF columns for candidates in ranking order (top hits first)."""
    n = len(facets)
    dense = (centroid_similarity(vectors, scores, k) if vectors is not None
             and len(vectors) == n else np.zeros(n))
    return {"prf_discipline": discipline_agreement(facets, scores, k),
            "prf_terms": term_agreement(token_sets, scores, k),
            "prf_dense": dense}


__all__ = ["HYBRID_LEXICAL_WEIGHT", "LIST_FEATURES", "PHRASE_SHARE", "PRF_FEATURES", "PRF_K",
           "STYLED_FEATURES", "STYLE_FEATURES", "STYLE_GATE", "centroid_similarity",
           "discipline_agreement", "minmax", "patent_hybrid", "phrase_bm25", "phrase_coverage",
           "phrase_grams", "prf_columns", "styled_columns", "term_agreement", "top_discipline",
           "uses_prf"]
