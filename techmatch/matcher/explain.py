"""Explanations: matched terms located in the ORIGINAL texts, best sentence pair, contributions.

Tokens are computed on normalised text (NFKC, traditional→simplified, lower case); to show
them on the original text, each side is normalised character by character with a map from
normalised position to original position, every found span is verified by normalising the
original slice again, and spans that do not verify are dropped (never shown wrong).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from pydantic import TypeAdapter

from techmatch.indexers.encoders import Encoder
from techmatch.indexers.ingest.normalize import normalize, to_simplified
from techmatch.matcher.crosslingual import ENGLISH_STOP
from techmatch.matcher.engine import Engine
from techmatch.models.records import Expert
from techmatch.models.results import Contribution, Explanation, Highlight, Hit

if TYPE_CHECKING:
    from techmatch.matcher.service import Scored

MAX_TERMS = 12
MAX_SPANS = 3
ALL_SPANS = 200  # occurrences looked at to tell a fragment of a longer term
MAX_SENTENCES = 8
SENTENCE_HITS = 3  # hits whose best sentence pair is found with the encoder (dense mode)
MAX_WORKS = 3
NOT_CALIBRATED = "置信度未经校准：还没有训练过的排序模型"  # explanation note (zh-CN, staff-facing)
# a '.' followed by a letter or digit (1.5 g/L, www.example.com) does not end a sentence
_SENTENCE = re.compile(r"(?:[^。！？；.!?;\n]|\.(?=[0-9A-Za-z]))+[。！？；.!?;]?")
_ASCII_WORD = re.compile(r"[0-9a-z]")


class NormalizedText:
    """`text` normalised per character; `origin[i]` is the original index of normalised char i."""

    def __init__(self, original: str) -> None:
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(original):
            for out in unicodedata.normalize("NFKC", ch).lower():
                chars.append(out)
                origin.append(i)
        joined = "".join(chars)
        simplified = to_simplified(joined)
        if len(simplified) != len(joined):  # phrase conversion changed length: go char by char
            simplified = "".join(c2 if len(c2 := to_simplified(c)) == 1 else c for c in joined)
        self.original = original
        self.text = simplified.lower()
        self.origin = origin

    def find(self, term: str, limit: int = MAX_SPANS) -> list[tuple[int, int]]:
        """Up to `limit` verified (start, end) spans of `term` in the original text."""
        spans: list[tuple[int, int]] = []
        start = self.text.find(term)
        while start >= 0 and len(spans) < limit:
            end = start + len(term)
            if _word_bounded(self.text, start, end, term):
                span = (self.origin[start], self.origin[end - 1] + 1)
                if normalize(self.original[span[0]:span[1]]) == term:
                    spans.append(span)
            start = self.text.find(term, start + 1)
        return spans


@lru_cache(maxsize=8192)
def normalized_text(original: str) -> NormalizedText:
    """`NormalizedText(original)`, remembered: candidates recur across queries and the
    character-by-character mapping is a large part of explaining a ranking."""
    return NormalizedText(original)


def _word_bounded(text: str, start: int, end: int, term: str) -> bool:
    """ASCII words must not be cut out of longer words ('net' inside 'network')."""
    if _ASCII_WORD.match(term[0]) and start > 0 and _ASCII_WORD.match(text[start - 1]):
        return False
    return not (_ASCII_WORD.match(term[-1]) and end < len(text)
                and _ASCII_WORD.match(text[end]))


def highlights(query: NormalizedText, record: NormalizedText,
               terms: Sequence[str]) -> list[Highlight]:
    """Shared terms (longest first) with their spans in both original texts. A term whose
    every occurrence on one side lies inside a longer listed term (半导 and 导体 beside
    半导体, 学习 beside 深度学习 when it never stands alone) is a fragment, not a match of
    its own: it is left out. Beyond MAX_TERMS, the terms the query states first are kept
    (the need's title words, not the first by Unicode order)."""
    out = []
    q_taken: list[tuple[int, int]] = []
    r_taken: list[tuple[int, int]] = []
    for term in sorted(set(terms), key=lambda t: (-len(t), t)):
        q_all = query.find(term, ALL_SPANS)
        r_all = record.find(term, ALL_SPANS) if q_all else []
        if not q_all or not r_all:
            continue
        if _inside(q_all, q_taken) or _inside(r_all, r_taken):
            continue
        q_taken.extend(q_all)
        r_taken.extend(r_all)
        first = q_all[0]
        out.append(Highlight(term=term, query_spans=q_all[:MAX_SPANS],
                             record_spans=r_all[:MAX_SPANS],
                             display=query.original[first[0]:first[1]]))
    if len(out) > MAX_TERMS:
        first_stated = sorted(out, key=lambda h: (h.query_spans[0][0], h.term))[:MAX_TERMS]
        kept = {h.term for h in first_stated}
        out = [h for h in out if h.term in kept]
    return out


def _inside(spans: Sequence[tuple[int, int]], taken: Sequence[tuple[int, int]]) -> bool:
    """Every span of `spans` lies within some span of `taken`."""
    return all(any(ts <= s and e <= te for ts, te in taken) for s, e in spans)


def sentences(text: str, terms: Sequence[str] = ()) -> list[str]:
    """Sentences of `text` split on 。！？；.!?; (not a '.' inside a number or name) and
    newlines; at most MAX_SENTENCES, keeping those that contain the most matched terms (ties:
    text order)."""
    found = [m.group(0).strip() for m in _SENTENCE.finditer(text)]
    found = [s for s in found if len(s) >= 2]
    if len(found) <= MAX_SENTENCES:
        return found
    norm = [normalize(s) for s in found]
    score = [sum(t in n for t in terms) for n in norm]
    keep = sorted(range(len(found)), key=lambda i: (-score[i], i))[:MAX_SENTENCES]
    return [found[i] for i in sorted(keep)]


def best_sentence_pairs(tokens: Callable[[str], Collection[str]], query_text: str,
                        record_texts: Sequence[str],
                        terms: Sequence[Sequence[str]], *, encoder: Encoder | None = None
                        ) -> list[tuple[str, str, float] | None]:
    """For each record text, the (query sentence, record sentence, similarity) pair with the
    highest similarity (None when no pair scores above 0: nothing to point at): cosine of
    the sentences' token sets by default (cheap, and it points at the words staff can see),
    or of their e5 vectors when `encoder` is given (costly: every sentence is encoded).
    `tokens` gives a text's token set (the service's cached one)."""
    q_sents = sentences(query_text, [t for ts in terms for t in ts])
    r_sents = [sentences(text, ts) for text, ts in zip(record_texts, terms, strict=True)]
    flat = [s for group in r_sents for s in group]
    if not q_sents or not flat:
        return [None] * len(record_texts)
    sims = (_dense_similarity(encoder, q_sents, flat) if encoder is not None
            else _token_similarity(tokens, q_sents, flat))
    out: list[tuple[str, str, float] | None] = []
    pos = 0
    for group in r_sents:
        if not group:
            out.append(None)
            continue
        block = sims[pos:pos + len(group)]
        r_i, q_i = np.unravel_index(int(np.argmax(block)), block.shape)
        best = float(block[r_i, q_i])
        # no sentence pair shares anything: none is "closest", show none
        out.append((q_sents[int(q_i)], group[int(r_i)], best) if best > 0.0 else None)
        pos += len(group)
    return out


def _token_similarity(tokens: Callable[[str], Collection[str]], q_sents: Sequence[str],
                      r_sents: Sequence[str]) -> np.ndarray:
    """(len(r_sents), len(q_sents)) cosine of token sets: |A∩B| / sqrt(|A|·|B|)."""
    q_sets = [frozenset(tokens(s)) for s in q_sents]
    r_sets = [frozenset(tokens(s)) for s in r_sents]
    sims = np.zeros((len(r_sets), len(q_sets)), dtype=np.float64)
    for i, r in enumerate(r_sets):
        if not r:
            continue
        row = sims[i]
        for j, q in enumerate(q_sets):
            if q:  # math.sqrt: the same correctly rounded sqrt as numpy's, without a ufunc call
                row[j] = len(r & q) / math.sqrt(len(r) * len(q))
    return sims


def _dense_similarity(encoder: Encoder, q_sents: Sequence[str],
                      r_sents: Sequence[str]) -> np.ndarray:
    q_vecs = encoder.encode_queries([normalize(s, lower=False) for s in q_sents])
    r_vecs = encoder.encode_passages([normalize(s, lower=False) for s in r_sents])
    return np.asarray(r_vecs @ q_vecs.T, dtype=np.float64)


# Words the tokenizer keeps (they may help retrieval) but that say nothing to staff as a
# "matched term": comparisons, units of time, generic verbs. Display only: ranking unchanged.
_NOT_TELLING = frozenset({
    "以上", "以下", "以内", "低于", "高于", "大于", "小于", "超过", "不足", "达到", "左右",
    "小时", "分钟", "个月", "年度", "使用", "用于", "采用", "需要", "要求", "目前", "现有",
    "能够", "可以", "实现", "进行", "通过", "具有",
    "about", "after", "before", "every", "one", "per", "while", "than", "within", "over",
    "under", "also", "more", "less", "hours", "hour", "years", "year", "days", "months",
    "mg", "mm", "kg", "cm", "ml",
})
# English function words (prepositions, conjunctions, determiners, pronouns, auxiliaries,
# link adverbs): the tokenizer's stopword list drops a few (a, the, of …), so a need and a
# record both written in English shared "during", "into", "which" as 匹配词. Together with
# the cross-lingual lookup's stop words (using, based, method …). Display only.
_ENGLISH_FUNCTION = ENGLISH_STOP | frozenset("""
    about above across after against along amid among amongst around as at before behind
    below beneath beside besides between beyond by despite down during except for from in
    inside into like near of off on onto out outside over past since through throughout till
    to toward towards under underneath until up upon via with within without versus vs
    and or but nor so yet if because although though unless whereas whether while when
    where whenever wherever once than both either neither
    a an the this that these those each every some any all no not other another such
    several many much few more most less least own same
    i me my we us our you your he him his she her it its they them their itself themselves
    who whom whose which what whatever whichever
    is are was were be been being am do does did doing done have has had having can could
    may might must shall should will would
    also very too just only then there here thus hence therefore however moreover
    furthermore even ever again already often etc
""".split())


def _telling(term: str) -> bool:
    """Terms worth showing staff: not a lone character, not a bare number or percentage, not
    a word that only compares, counts time or links (低于、小时、用于)."""
    return (len(term) >= 2 and not term.removesuffix("%").replace(".", "").isdigit()
            and term not in _NOT_TELLING and term not in _ENGLISH_FUNCTION)


def shared_terms(query_tokens: Collection[str], record_tokens: Collection[str]) -> list[str]:
    """The terms an explanation may list for a record: tokens of both texts worth showing
    staff (`_telling`), sorted."""
    return sorted(t for t in frozenset(query_tokens).intersection(record_tokens)
                  if _telling(t))


_CONTRIBUTIONS = TypeAdapter(list[Contribution])
_CONTRIBUTION_LISTS = TypeAdapter(list[list[Contribution]])


def _contribution_rows(names: Sequence[str], values: Sequence[float],
                       weights: Sequence[float]) -> list[dict[str, object]]:
    rows = [(n, float(v), float(w), float(v * w) + 0.0)  # + 0.0: a -0.0 product reads 0.0
            for n, v, w in zip(names, values, weights, strict=True)]
    rows.sort(key=lambda r: (-abs(r[3]), r[0]))
    return [{"name": n, "value": v, "weight": w, "contribution": c} for n, v, w, c in rows]


def contributions(names: Sequence[str], values: Sequence[float],
                  weights: Sequence[float]) -> list[Contribution]:
    """weight × value per signal, largest absolute contribution first (ties by name)."""
    # one validator call for the whole list: a ranked page builds hundreds of these, and
    # pydantic's model_construct (pure Python) costs twice a validated construction
    return _CONTRIBUTIONS.validate_python(_contribution_rows(names, values, weights))


class Explainer:
    """Builds the `Explanation` of each hit of a scored query (see module docstring)."""

    def __init__(self, engine: Engine,
                 tokens: Callable[[str], Collection[str]] | None = None) -> None:
        self.engine = engine
        # The service passes its cached token sets: they were just computed for the features.
        self.tokens = tokens or engine.tokenizer.tokens

    def explain(self, scored: Scored, hits: Sequence[Hit], rows: Sequence[int]) -> None:
        """Set `explanation` on `hits`; `rows[i]` is hit i's row in `scored.table`."""
        q_text = normalized_text(scored.query.text)
        q_tokens = frozenset(self.tokens(scored.query.text))
        records = [scored.records[h.id] for h in hits]
        # the texts the service already built for the features (a record's text() is a join)
        texts = [scored.texts.get(h.id) or r.text() for h, r in zip(hits, records, strict=True)]
        terms = [shared_terms(q_tokens, self.tokens(text)) for text in texts]
        dense = self.engine.settings.explain_dense_sentences
        top = min(SENTENCE_HITS, len(hits)) if dense else len(hits)
        pairs = best_sentence_pairs(self.tokens, scored.query.text, texts[:top], terms[:top],
                                    encoder=self.engine.encoder if dense else None)
        names = scored.table.names
        cols = [names.index(f) for f in scored.model.features]
        contribs = self._contributions(scored, rows, cols)
        intercept = float(scored.model.intercept) + 0.0  # score = intercept + Σ contributions
        for i, (hit, rec) in enumerate(zip(hits, records, strict=True)):
            exp = Explanation(matched_terms=highlights(q_text, normalized_text(texts[i]),
                                                       terms[i]),
                              contributions=contribs[i], intercept=intercept)
            pair = pairs[i] if i < top else None
            if pair is not None:
                exp.query_sentence, exp.record_sentence, exp.sentence_similarity = pair
            if isinstance(rec, Expert):
                exp.works = self._works(scored, rec)
            if not scored.model.calibrated and not scored.fitted_hits:
                exp.notes.append(NOT_CALIBRATED)
            if hit.duplicate_of:
                exp.notes.append(f"与 {hit.duplicate_of} 近似重复")
            hit.explanation = exp

    @staticmethod
    def _contributions(scored: Scored, rows: Sequence[int],
                       cols: Sequence[int]) -> list[list[Contribution]]:
        """`contributions` of each table row of `rows`, validated in one call; `cols`: the
        table columns of the model's features."""
        model, table = scored.model, scored.table
        block = table.values[list(rows)][:, cols].tolist()
        out = _CONTRIBUTION_LISTS.validate_python(
            [_contribution_rows(model.features, values, model.weights) for values in block])
        if scored.bonus:
            regions = table.column("region")
            for row, items in zip(rows, out, strict=True):
                region = float(regions[row])
                items.append(Contribution(name="prefer_local", value=region,
                                          weight=scored.bonus,
                                          contribution=region * scored.bonus))
                items.sort(key=lambda c: (-abs(c.contribution), c.name))  # its place by size
        return out

    def _works(self, scored: Scored, expert: Expert) -> list[dict[str, object]]:
        """The expert's best-matching works (hybrid score, then dense cosine)."""
        works = scored.works
        if works is None or not expert.works:
            return []
        ranked = sorted(expert.works, key=lambda w: (-works.hybrid.get(w, 0.0),
                                                     -works.dense.get(w, 0.0), w))
        found = self.engine.store.get_many(ranked[:MAX_WORKS])
        if len(found) < min(MAX_WORKS, len(ranked)):  # a work was deleted: look further
            found = self.engine.store.get_many(ranked)
        order = [w for w in ranked if w in found][:MAX_WORKS]  # never a deleted work
        return [{"id": w, "title": found[w].display_title,
                 "score": round(works.hybrid.get(w, 0.0), 4),
                 "dense": round(works.dense.get(w, 0.0), 4)} for w in order]
