"""Abstention: "no good match" per need and target kind, from absolute evidence.

The ranker's features are mostly relative to the best candidate of the same query, so a need
with no good candidate still has a "best" one that looks good. The abstention model reads the
absolute evidence of a need's candidate list instead (`EVIDENCE`): the top dense cosine and its
gap to the 10th, how much of the need's key terms the best candidates cover (whole terms and
jieba tokens), BM25 of the top lexical hit per query token, and how many candidates clear
fixed cosine and coverage levels. A logistic regression on these (Cox 1958; its output is a
calibrated probability when the classes are not re-weighted, Niculescu-Mizil & Caruana, ICML
2005) gives P(the top hit is a good match). Staff see it as the top hit's confidence; every
other hit gets P · c_j / c_top, where c is the ranker's confidence (the ranker learns
P(relevant | the need is answerable) from labelled pairs, so P · c_j / c_top is the pair's
probability when both are calibrated; a model with a `HitModel` gives them a fitted
P(relevant) instead, techmatch.matcher.abstain_hits). A need whose top confidence is below
the settings' threshold is routed to staff.

For experts the evidence is read from the need's ranking of the experts' works (an expert is
as good a match as their best work), with a model of its own. Cosine levels depend on the
encoder, so a model records its encoder and is only applied with the same one.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import accumulate

import numpy as np
from pydantic import BaseModel, Field

from techmatch.errors import ConfigError
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher import _textmask
from techmatch.matcher.abstain_hits import HitModel, fit_logistic
from techmatch.matcher.crosslingual import language as text_language
from techmatch.matcher.features import facet_set

EVIDENCE: tuple[str, ...] = (
    "top_dense", "dense_gap10", "top_key_cover", "best_key_cover", "best_token_cover",
    "lexical_per_token", "n_dense_85", "n_dense_88", "n_dense_91", "n_key_cover_half",
    "n_key_terms", "cross_language", "top_field", "field_lead", "best_field",
)
# Expert-only evidence, from the need's field sample (techmatch.matcher.experts): how much of it
# the top expert's field covers, the sample's leading discipline share, and the best coverage
# among the experts that passed the filters (0 for achievements; filled by needevidence).
FIELD_EVIDENCE = ("top_field", "field_lead", "best_field")
# Evidence that scales with the query's length (token shares, BM25 per query token): the dev
# needs are short keyword lists, real needs a title and a paragraph, so a model fitted on
# them learnt "long need = no match" (the samples' matched English needs got P 0.08-0.27).
# Still computed (reports, diagnostics), not fitted.
LENGTH_DEPENDENT = ("best_token_cover", "lexical_per_token")
FITTED: tuple[str, ...] = tuple(f for f in EVIDENCE
                                if f not in LENGTH_DEPENDENT and f not in FIELD_EVIDENCE)
FITTED_EXPERT: tuple[str, ...] = (*FITTED, *FIELD_EVIDENCE)
DENSE_LEVELS = (0.85, 0.88, 0.91)
TOP = 3  # coverage is read from the best TOP candidates
COVER_POOL = 20  # candidates whose key-term coverage is counted against the 0.5 level
GAP_RANK = 10
MAX_TERM_CHARS = 16  # a need written as a list of short terms: 泡沫镍、超级电容、…
_TERM_SPLIT = re.compile(r"[、,，;；/|\n]+")
_SEP = "\x00"  # joins texts for `key_covers` (normalised texts hold no control characters)
_GAP = "\x01"  # stands for a run of non-ASCII characters in a text's ASCII part
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
DEFAULT_FILE = "abstain-default.json"


@dataclass(frozen=True)
class Candidate:
    """One candidate as the evidence sees it: dense cosine, raw BM25, text and tokens."""

    cosine: float
    bm25: float
    text: str
    tokens: frozenset[str]


def key_terms(text: str, keywords: Sequence[str] | None,
              tokens: frozenset[str]) -> tuple[str, ...]:
    """The need's key terms: its keywords; else its text's terms when it is a list of short
    terms; else its tokens of two characters or more (sorted, normalised)."""
    terms = facet_set(list(keywords)) if keywords else frozenset()
    if not terms:
        parts = [p.strip() for p in _TERM_SPLIT.split(normalize(text)) if p.strip()]
        if len(parts) >= 2 and all(len(p) <= MAX_TERM_CHARS for p in parts):
            terms = frozenset(parts)
    if not terms:
        terms = frozenset(t for t in tokens if len(t) >= 2)
    return tuple(sorted(terms))


Term = str | tuple[str, ...]  # a key term, or a key term and its translations


def key_cover(terms: Sequence[Term], text: str) -> float:
    """Share of `terms` occurring in the normalised `text` (0 without terms); a term given
    with its translations counts when any of them occurs."""
    if not terms:
        return 0.0
    hay = normalize(text)
    return sum(1 for t in terms
               if any(a in hay for a in ((t,) if isinstance(t, str) else t))) / len(terms)


def key_covers(terms: Sequence[Term], texts: Sequence[str], *,
               normal: Callable[[str], str] = normalize) -> list[float]:
    """`key_cover` of each text (the same values): each distinct term or translation is
    looked up once in all the normalised texts joined, not once per text. `normal`:
    `normalize` or a function equal to it (the batch's memo, techmatch.matcher.memo)."""
    if not terms:
        return [0.0] * len(texts)
    hays = [normal(t) for t in texts]
    if any(_SEP in h for h in hays):
        return [key_cover(terms, t) for t in texts]
    whole = _Joined(hays)
    # an ASCII term (most translations) can only occur inside a text's ASCII runs: it is
    # looked up in those runs alone, a small part of a Chinese text
    ascii_runs = _Joined([_NON_ASCII.sub(_GAP, h) for h in hays])
    every = (1 << len(hays)) - 1
    masks: dict[str, int] = {}  # term or translation → bit j set when text j holds it
    in_whole: list[str] = []
    in_ascii: list[str] = []
    for term in terms:
        for alt in ((term,) if isinstance(term, str) else term):
            if alt in masks:
                continue
            if not alt:
                masks[alt] = every
            elif _SEP in alt:
                masks[alt] = sum(1 << j for j, h in enumerate(hays) if alt in h)
            else:
                masks[alt] = 0  # set below, with the others of its kind
                (in_ascii if alt.isascii() and _GAP not in alt else in_whole).append(alt)
    masks.update(zip(in_whole, whole.masks(in_whole), strict=True))
    masks.update(zip(in_ascii, ascii_runs.masks(in_ascii), strict=True))
    covered = []
    for term in terms:
        if isinstance(term, str):
            covered.append(masks[term])
        else:
            found = 0
            for alt in term:
                found |= masks[alt]
            covered.append(found)
    if len(hays) > 62:  # more texts than an int64 has bits
        return [sum((m >> j) & 1 for m in covered) / len(terms) for j in range(len(hays))]
    bits = (np.array(covered, dtype=np.int64)[:, None] >> np.arange(len(hays))) & 1
    return (bits.sum(axis=0) / len(terms)).tolist()  # the same floats as int / int


class _Joined:
    """Texts joined by `_SEP`, searched for a term once for all of them."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.joined = _SEP.join(texts)
        self.ends = list(accumulate(len(t) + 1 for t in texts))  # each separator's offset + 1

    def masks(self, alts: Sequence[str]) -> list[int]:
        """`mask` of each alt: in C (techmatch.matcher._textmask, the same search and
        bisection) for up to 64 texts, else one `mask` call each."""
        if len(self.ends) <= _textmask.MAX_TEXTS:
            return _textmask.masks(self.joined, self.ends, alts)
        return [self.mask(alt) for alt in alts]

    def mask(self, alt: str) -> int:
        """Bit j set when text j holds `alt` (which holds no `_SEP`)."""
        found, i = 0, self.joined.find(alt)
        while i >= 0:
            j = bisect_right(self.ends, i)
            found |= 1 << j
            i = self.joined.find(alt, self.ends[j])
        return found


def _token_cover(q_tokens: frozenset[str], tokens: frozenset[str]) -> float:
    return len(q_tokens & tokens) / len(q_tokens) if q_tokens else 0.0


def evidence(terms: Sequence[Term], q_tokens: frozenset[str],
             candidates: Sequence[Candidate], *, translated: Sequence[str] = (),
             language: str | None = None, normal: Callable[[str], str] = normalize,
             language_of: Callable[[str], str | None] = text_language) -> np.ndarray:
    """(len(EVIDENCE),) absolute evidence of one need's candidates, best-ranked first.

    `translated`: the query's dictionary tokens (techmatch.matcher.crosslingual); a
    candidate's token coverage is the better of the original tokens' and the translation's.
    `language`: the query's; `cross_language` is 1 when the top candidate's differs (dense
    cosines across languages run lower). `normal` / `language_of`: `normalize` / `language`
    or functions equal to them (the batch's memo, techmatch.matcher.memo)."""
    if not candidates:
        return np.zeros(len(EVIDENCE))
    cos = np.sort(np.array([c.cosine for c in candidates], dtype=np.float64))[::-1]
    head = candidates[:TOP]
    alt = frozenset(translated)
    covers = key_covers(terms, [c.text for c in candidates[:COVER_POOL]], normal=normal)
    tok = [max(_token_cover(q_tokens, c.tokens), _token_cover(alt, c.tokens)) for c in head]
    top_lang = language_of(candidates[0].text)
    bm25 = max((c.bm25 for c in candidates), default=0.0)
    row = {
        "top_dense": float(cos[0]),
        "dense_gap10": float(cos[0] - cos[min(GAP_RANK, len(cos)) - 1]),
        "top_key_cover": covers[0],
        "best_key_cover": max(covers[:TOP]),
        "best_token_cover": max(tok),
        "lexical_per_token": bm25 / max(len(q_tokens), 1),
        "n_key_cover_half": float(np.log1p(sum(1 for c in covers if c >= 0.5))),
        "n_key_terms": float(np.log1p(len(terms))),
        "cross_language": float(bool(language and top_lang and language != top_lang)),
    }
    for level in DENSE_LEVELS:
        row[f"n_dense_{round(level * 100)}"] = float(np.log1p(int((cos >= level).sum())))
    return np.array([row.get(n, 0.0) for n in EVIDENCE], dtype=np.float64)  # FIELD_EVIDENCE: 0


class AbstainModel(BaseModel):
    """P(top hit is a good match) = σ(intercept + Σ w · (x − mean) / std) over `features`."""

    kind: str
    encoder: str
    features: list[str]
    mean: list[float]
    std: list[float]
    weights: list[float]
    intercept: float
    metrics: dict[str, object] = Field(default_factory=dict)
    hits: HitModel | None = Field(
        default=None, description="confidence of the hits below the top one "
        "(techmatch.matcher.abstain_hits); without it they get P · c / c_top")
    top: HitModel | None = Field(
        default=None, description="P refined with the top hit's own ranker features "
        "(a HitModel read at rank 1); without it P is the evidence model's")
    close: str | None = Field(
        default=None, description="kind of the abstention model whose P on this same "
        "evidence says a close match exists among the candidates' works (experts: "
        "'achievement'); P = P_close + (1 − P_close) · Q, Q this model's (`combine`)")

    def probability(self, x: np.ndarray) -> np.ndarray:
        """(n,) probabilities for evidence rows `x` (n, len(EVIDENCE))."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        cols = [EVIDENCE.index(f) for f in self.features]
        z = (x[:, cols] - np.asarray(self.mean)) / np.asarray(self.std)
        return 1.0 / (1.0 + np.exp(-(self.intercept + z @ np.asarray(self.weights))))

    def fits(self, encoder_id: str) -> bool:
        return self.encoder == encoder_id


def fit_abstain(x: np.ndarray, y: np.ndarray, *, kind: str, encoder: str, c: float = 1.0,
                seed: int = 0, features: Sequence[str] = EVIDENCE,
                weight: np.ndarray | None = None) -> AbstainModel:
    """Logistic regression of 0/1 labels `y` (n,) on evidence `x` (n, len(EVIDENCE)), over
    the evidence columns `features`; `weight` (n,): optional sample weights."""
    x = np.asarray(x, dtype=np.float64)[:, [EVIDENCE.index(f) for f in features]]
    fit = fit_logistic(x, y, c=c, seed=seed, weight=weight,
                       one_class="abstention needs needs with and without a good match")
    return AbstainModel(kind=kind, encoder=encoder, features=list(features), mean=fit.mean,
                        std=fit.std, weights=fit.weights, intercept=fit.intercept)


def combine(close: float | np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """P = P_close + (1 − P_close) · Q: the top expert is a good match when one of the
    passing experts' works is (the best-ranked expert owns it), else with probability Q."""
    close = np.asarray(close, dtype=np.float64)
    return close + (1.0 - close) * np.asarray(q, dtype=np.float64)


def adjust(confidence: np.ndarray, answerable: float) -> np.ndarray:
    """Hit confidences c (n,) → P · c / max(c): the top hit gets P, the rest keep their ratio."""
    confidence = np.asarray(confidence, dtype=np.float64)
    if not confidence.size:
        return confidence
    top = float(confidence.max())
    if top <= 0.0:
        return np.zeros_like(confidence)
    return np.clip(confidence * (answerable / top), 0.0, 1.0)


@cache
def _defaults() -> dict[str, AbstainModel]:
    path = resources.files("techmatch") / "resources" / DEFAULT_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {k: AbstainModel.model_validate(v) for k, v in raw.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable default abstention model: {exc}") from exc


def default_abstain(kind: str) -> AbstainModel | None:
    """The abstention model shipped with the package for `kind` (fitted on the dev sets)."""
    return _defaults().get(kind)


def candidates_of(ids: Sequence[str], cosines: Sequence[float], bm25: Mapping[str, float],
                  texts: Mapping[str, str], tokens: Mapping[str, frozenset[str]]
                  ) -> list[Candidate]:
    """Candidates in the given (best-first) order; unknown texts count as empty."""
    return [Candidate(cosine=float(c), bm25=float(bm25.get(i, 0.0)), text=texts.get(i, ""),
                      tokens=tokens.get(i, frozenset()))
            for i, c in zip(ids, cosines, strict=True)]


def ranked_evidence(terms: Sequence[Term], q_tokens: frozenset[str], ids: Sequence[str],
                    cosines: Sequence[float], bm25: Mapping[str, float],
                    texts: Mapping[str, str], tokens: Callable[[str], frozenset[str]], *,
                    translated: Sequence[str] = (), language: str | None = None,
                    normal: Callable[[str], str] = normalize,
                    language_of: Callable[[str], str | None] = text_language) -> np.ndarray:
    """`evidence` of candidates `ids` (best first) with their cosines; texts of the first
    COVER_POOL are read from `texts` and tokenized with `tokens`."""
    head = set(ids[:COVER_POOL])
    toks = {i: tokens(texts.get(i, "")) for i in head}
    return evidence(terms, q_tokens,
                    candidates_of(ids, cosines, bm25, {i: texts.get(i, "") for i in head},
                                  toks), translated=translated, language=language,
                    normal=normal, language_of=language_of)


__all__ = ["EVIDENCE", "FIELD_EVIDENCE", "FITTED", "FITTED_EXPERT", "LENGTH_DEPENDENT",
           "AbstainModel", "Candidate", "adjust", "candidates_of", "combine", "default_abstain",
           "evidence", "fit_abstain", "key_cover", "key_covers", "key_terms", "ranked_evidence"]
