"""Cross-language cosine calibration: the dense score of a record in another language than
the query, moved to the query language's scale by the encoder's language direction.

A multilingual encoder places each language around its own mean: for multilingual-e5-small a
Chinese query's cosine with a random Chinese passage averages 0.846, with a random English
passage 0.804 (the parallel keyword lists of csl-kw-dev, below), so every English record sank
below every Chinese one for a Chinese need, however well it answered (the samples' A012 0.84
against 0.88–0.94). Removing the language mean is the known fix for this (language-specific
mean centring of multilingual representations). Here each language L has a shift vector s_L
(its passage mean minus the mean over languages), and a record r in language L_r scores, for
a query vector q in language L_q,

    cos'(q, r) = q · (r + s_{L_q} − s_{L_r}) = cos(q, r) + q · (s_{L_q} − s_{L_r}),

i.e. the record moved to where its counterpart in the query's language would lie. A record's
language is the one it is filed under (`record_language`: an achievement's `language` facet,
what the cross-language searches filter on; a need has none, so its text decides); the query's
is its text's (`crosslingual.language`). Records in the query's language (and any record or
query whose language is unknown) keep their cosine exactly, so a Chinese query over Chinese
records ranks as before; a query whose text is mostly Latin letters over a corpus filed in one
language gives every record the same offset, so its ranking does not change either. The
offset depends on the query and the record's language only, never on other records, so a
changed record moves no other record's score. Applied to the candidates' own cosines (the
`dense` feature and everything built on it) and, for achievements, to a second kNN over the
records of the other language (`with_other_languages`), so they can enter the dense list;
an expert's work cosines are left as they are.

The shift vectors are estimated without labels from parallel text: the keyword queries of
`csl-kw-dev`, each keyword translated term by term with CC-CEDICT (as the cross-lingual set
is built), both sides encoded as passages; s_zh = −s_en = ½ · mean(p_zh − p_en)
(`python -m techmatch.eval.language_shift`, writes `techmatch/resources/language-shift.json`).
They apply only with the encoder they were estimated with.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from techmatch.errors import ConfigError
from techmatch.indexers.base import Candidates, Index
from techmatch.matcher.crosslingual import cross_filters, language
from techmatch.models.records import Achievement, Expert, Record
from techmatch.models.results import Filters

SHIFT_FILE = "language-shift.json"


class LanguageShift(BaseModel):
    """Per-language shift vectors of one encoder's passage space."""

    encoder: str
    shifts: dict[str, list[float]] = Field(description="language -> shift vector s_L")
    fitted_on: dict[str, object] = Field(default_factory=dict)

    def fits(self, encoder_id: str, dim: int) -> bool:
        return self.encoder == encoder_id and all(len(v) == dim for v in self.shifts.values())

    def offsets(self, qvec: np.ndarray, query_language: str | None,
                record_languages: Sequence[str | None]) -> np.ndarray:
        """(n,) cosine offsets q · (s_{L_q} − s_{L_r}); 0 for the query's own language and
        wherever a language is unknown or has no shift vector."""
        out = np.zeros(len(record_languages), dtype=np.float64)
        by_lang: dict[str | None, float] = {}
        for i, lang in enumerate(record_languages):
            if lang not in by_lang:
                by_lang[lang] = self.offset(qvec, query_language, lang)
            out[i] = by_lang[lang]
        return out

    def offset(self, qvec: np.ndarray, query_language: str | None,
               record_language: str | None) -> float:
        """q · (s_{L_q} − s_{L_r}) for one language pair (0 as in `offsets`)."""
        if (not query_language or not record_language or query_language == record_language
                or query_language not in self.shifts or record_language not in self.shifts):
            return 0.0
        diff = np.asarray(self.shifts[query_language]) - np.asarray(self.shifts[record_language])
        return float(np.asarray(qvec, dtype=np.float64) @ diff)


def shift_path() -> Path:
    return Path(str(resources.files("techmatch") / "resources" / SHIFT_FILE))


@cache
def _read() -> LanguageShift | None:
    path = shift_path()
    if not path.exists():
        return None
    try:
        return LanguageShift.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable language shift: {exc}") from exc


def default_shift(encoder_id: str, dim: int) -> LanguageShift | None:
    """The shipped shift vectors when they were estimated with this encoder, else None."""
    shift = _read()
    return shift if shift is not None and shift.fits(encoder_id, dim) else None


@lru_cache(maxsize=100_000)
def text_language(text: str) -> str | None:
    """`crosslingual.language` of a record text, cached (candidate texts recur)."""
    return language(text)


def record_language(record: Record) -> str | None:
    """The language a record is filed under (an achievement's `language`, an expert's first
    language: the facet the lexical and dense cross-language searches filter on); a need has
    none, so its text decides. "other" has no shift vector and gets no offset."""
    if isinstance(record, Achievement):
        return record.language
    if isinstance(record, Expert):
        return record.languages[0] if record.languages else None
    return text_language(record.text())


def cross_offsets(shift: LanguageShift | None, qvec: np.ndarray, query_text: str,
                  records: Sequence[Record]) -> np.ndarray:
    """(n,) offsets to add to the cosines of `qvec` (the query `query_text`, whose language
    its text decides) with `records`: zero for records in the query's language, or without a
    shift (None: none fits the encoder)."""
    if shift is None or not records:
        return np.zeros(len(records), dtype=np.float64)
    return shift.offsets(qvec, language(query_text), [record_language(r) for r in records])


def with_other_languages(index: Index, shift: LanguageShift | None, texts: Sequence[str],
                         vectors: np.ndarray, native: Sequence[Candidates], k: int,
                         filters: Filters | None) -> list[Candidates]:
    """Each query's dense list merged with a kNN over the records of every other language
    (its `language` facet), scored cos + offset: a record's dense score stays a function of
    the query and that record, so it is merged with the native list by score (an id in both
    keeps its best), top `k`, ties by id. `native` unchanged without a fitting shift or
    records of another language."""
    out = list(native)
    if shift is None or not len(texts):
        return out
    langs = [language(t) if t.strip() else None for t in texts]
    for lang in sorted({lang for lang in langs if lang in shift.shifts}):
        rows = [i for i, q_lang in enumerate(langs) if q_lang == lang]
        for other in sorted(set(shift.shifts) - {lang}):
            flt = cross_filters(filters, other)
            if flt is None or not _holds(index, other, int(vectors.shape[1])):
                continue
            found = index.search_dense_batch(vectors[rows], k=k, filters=flt)
            for i, cands in zip(rows, found, strict=True):
                if cands.ids:
                    lifted = np.asarray(cands.scores, np.float64) + shift.offset(
                        vectors[i], lang, other)
                    out[i] = _merge_max(out[i], Candidates(cands.ids, lifted), k)
    return out


_HOLDS: weakref.WeakKeyDictionary[Index, tuple[tuple[str, int], dict[str, bool]]] = \
    weakref.WeakKeyDictionary()


def _holds(index: Index, lang: str, dim: int) -> bool:
    """Whether `index` holds a record filed in `lang`: one probe per index state (generation
    and applied change), so a corpus of one language pays no filtered search (a row mask over
    the whole index) per query."""
    state = (index.generation, index.applied_seq)
    cached = _HOLDS.get(index)
    if cached is None or cached[0] != state:
        cached = (state, {})
        _HOLDS[index] = cached
    known = cached[1]
    if lang not in known:
        probe = np.full((1, dim), 1.0 / np.sqrt(dim), dtype=np.float32)
        found = index.search_dense_batch(probe, k=1, filters=Filters(language=[lang]))
        known[lang] = bool(found and found[0].ids)
    return known[lang]


def _merge_max(native: Candidates, other: Candidates, k: int) -> Candidates:
    best: dict[str, float] = {}
    for ids, scores in ((native.ids, native.scores), (other.ids, other.scores)):
        for rid, score in zip(ids, scores, strict=True):
            if float(score) > best.get(rid, float("-inf")):
                best[rid] = float(score)
    order = sorted(best, key=lambda r: (-best[r], r))[:k]
    return Candidates(order, np.array([best[r] for r in order], dtype=np.float32))


def estimate(native: np.ndarray, other: np.ndarray, *, native_language: str,
             other_language: str, encoder: str,
             fitted_on: dict[str, object] | None = None) -> LanguageShift:
    """Shift vectors from parallel passage vectors (row i of both: the same text in the two
    languages): s_native = −s_other = ½ · mean(native − other)."""
    if native.shape != other.shape or native.ndim != 2 or len(native) == 0:
        raise ConfigError(f"parallel vectors must have one equal, non-empty shape; got "
                          f"{native.shape} and {other.shape}")
    half = 0.5 * (np.asarray(native, np.float64) - np.asarray(other, np.float64)).mean(axis=0)
    return LanguageShift(encoder=encoder,
                         shifts={native_language: half.tolist(),
                                 other_language: (-half).tolist()},
                         fitted_on=dict(fitted_on or {}))


__all__ = ["SHIFT_FILE", "LanguageShift", "cross_offsets", "default_shift", "estimate",
           "record_language", "shift_path", "text_language", "with_other_languages"]
