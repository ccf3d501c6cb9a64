"""The abstention evidence of one scored need, per target kind (glue between the ranking
service and techmatch.matcher.abstain)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.abstain import (
    EVIDENCE,
    AbstainModel,
    Term,
    adjust,
    combine,
    key_terms,
    ranked_evidence,
)
from techmatch.matcher.abstain_hits import hit_inputs
from techmatch.matcher.crosslingual import language
from techmatch.matcher.experts import field_lead
from techmatch.models.records import Expert
from techmatch.models.results import Ranking

if TYPE_CHECKING:
    from techmatch.matcher.service import MatchService, Scored

TARGETS = ("achievement", "expert")


def _terms(service: MatchService, s: Scored
           ) -> tuple[list[Term], frozenset[str], list[str], str | None]:
    """(key terms with their translations, tokens, dictionary translation, language) of the
    scored query."""
    q_tokens = s.q_tokens or service.tokens(s.query.text)
    keywords = s.query.record.keywords if s.query.record is not None else None
    terms: list[Term] = list(key_terms(s.query.text, keywords, q_tokens))
    translator = s.translator  # the one the features used, with their translation
    translated: list[str] = []
    if translator is not None:
        translated = sorted(s.translated)  # a set where it is read (`evidence`)
        terms = [translator.alternatives(str(t)) for t in terms]
    return terms, q_tokens, translated, language(s.query.text)


def achievement_evidence(service: MatchService, s: Scored) -> np.ndarray:
    """Evidence of the scored candidates themselves, in the service's final order."""
    terms, q_tokens, translated, lang = _terms(service, s)
    order = s.order()
    ids = [s.table.ids[j] for j in order]
    cos = s.table.column("dense")[order] if order else np.zeros(0)
    bm25 = {h.id: h.lexical.score or 0.0 for h in s.ranking.hits}
    texts = {i: s.texts.get(i) or s.records[i].text() for i in ids[:20] if i in s.records}
    memo = service.memo  # the batch's (techmatch.matcher.memo): the same values, remembered
    return ranked_evidence(terms, q_tokens, ids, cos.tolist(), bm25, texts, service.tokens,
                           translated=translated, language=lang,
                           normal=memo.normalized if memo is not None else normalize,
                           language_of=memo.language if memo is not None else language)


def expert_evidence(service: MatchService, s: Scored, works: Ranking,
                    qvec: np.ndarray) -> np.ndarray:
    """Evidence of the candidate experts' works in the need's achievement ranking (only the
    experts that passed the filters count)."""
    terms, q_tokens, translated, lang = _terms(service, s)
    scored = set(s.table.ids)  # the candidates left after filters (not every record read)
    owned = {w for rid, r in s.records.items() if rid in scored and isinstance(r, Expert)
             for w in r.works}
    ids = [h.id for h in works.hits if h.id in owned]
    vecs = service.engine.index("achievement").vectors(ids) if ids else np.zeros((0, 1))
    cos = (vecs @ qvec).tolist() if len(ids) else []
    bm25 = {h.id: h.lexical.score or 0.0 for h in works.hits}
    texts = {rid: rec.text() for rid, rec in service.engine.store.get_many(ids[:20]).items()}
    row = ranked_evidence(terms, q_tokens, ids, cos, bm25, texts, service.tokens,
                          translated=translated, language=lang)
    _, field = ranked_columns(s, ("work_field",))
    if len(field):
        row[EVIDENCE.index("top_field")] = field[0, 0]
        row[EVIDENCE.index("best_field")] = field[:, 0].max()
    row[EVIDENCE.index("field_lead")] = field_lead(s.works.field if s.works else ())
    return row


def attach(service: MatchService, s: Scored, target: str, works: Ranking | None,
           qvec: np.ndarray) -> None:
    """Set `s.evidence`; when a fitting abstention model exists, `s.answerable` and the
    adjusted confidences (see techmatch.matcher.abstain)."""
    if target not in TARGETS or not s.table.ids:
        return
    if target == "expert":
        if works is None:
            return
        s.evidence = expert_evidence(service, s, works, qvec)
    else:
        s.evidence = achievement_evidence(service, s)
    model = service.model.abstain_for(target)
    if model is None or not model.fits(service.engine.encoder.id):
        return
    close = service.model.abstain_for(model.close) if model.close else None
    s.answerable = answerable(model, s, close if close is not None
                              and close.fits(service.engine.encoder.id) else None)
    if model.hits is None:
        s.confidence = adjust(s.confidence, s.answerable)
        return
    order, values = ranked_columns(s, model.hits.columns)
    confidence = np.empty(len(order))
    # near-duplicate content (achievements); experts' profile vectors say nothing of that
    # (empty profiles all look alike)
    copies = duplicates(s.vectors[order], service.duplicate_threshold) \
        if target == "achievement" else []
    confidence[order] = model.hits.confidences(s.answerable, values, copies)
    s.confidence = confidence
    s.fitted_hits = True


def duplicates(vectors: np.ndarray, threshold: float) -> list[int | None]:
    """Per row (best-ranked first): the first higher row it near-duplicates (cosine ≥
    `threshold`, as `mark_duplicates` marks hits), else None; zero rows never match."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) < 2:
        return [None] * len(vectors)
    known = np.linalg.norm(vectors, axis=1) > 0
    close = np.triu((vectors @ vectors.T >= threshold) & known[:, None] & known[None, :], 1)
    first = close.argmax(axis=0)  # close[i, j] only for i < j: the first higher duplicate
    return [int(first[j]) if close[first[j], j] else None for j in range(len(vectors))]


def answerable(model: AbstainModel, s: Scored, close: AbstainModel | None = None) -> float:
    """P(the top hit is a good match): the evidence model's, refined by `model.top` with the
    top hit's ranker features when the model has one, and combined with `close`'s P on the
    same evidence when given (`techmatch.matcher.abstain.combine`)."""
    if s.evidence is None:
        raise ValueError("answerable() needs the evidence set first (set_evidence)")
    p = float(model.probability(s.evidence)[0])
    if model.top is not None:
        _, values = ranked_columns(s, model.top.columns)
        p = float(model.top.probability(hit_inputs(p, values[:1]))[0])
    if close is None:
        return p
    return float(combine(close.probability(s.evidence)[0], p))


def ranked_columns(s: Scored, columns: Sequence[str]) -> tuple[list[int], np.ndarray]:
    """(table rows in the service's final order, (n, len(columns)) their feature values)."""
    order = s.order()
    if not order:
        return order, np.zeros((0, len(columns)))
    return order, np.stack([s.table.column(c)[order] for c in columns], axis=1)
