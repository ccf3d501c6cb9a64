"""Text normalisation for matching: NFKC, traditional→simplified (OpenCC), whitespace, controls.

The original text is always kept for display; only the matching copy is normalised.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from techmatch.errors import ValidationError

# Lone surrogates are not text (they cannot be encoded, and OpenCC raises on them).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff\ud800-\udfff]")
_SPACE = re.compile(r"[^\S\n]+")  # any whitespace but newline
_LINES = re.compile(r"\n\s*\n+")


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def strip_controls(text: str) -> str:
    """Remove control and zero-width characters (and lone surrogates) except newline and tab."""
    return _CONTROL.sub("", text)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC t2s); other scripts pass through."""
    return str(_t2s().convert(text)) if text else text


SHORT = 256  # texts up to this many characters are normalised once and remembered
CACHE_SIZE = 131_072
LONG = 8192  # record-sized texts (a candidate's title + abstract) up to this size, fewer of them
LONG_CACHE_SIZE = 65_536  # a large batch re-reads its candidates (8,192 missed ~2 in 3 at 100k)
HUGE = 65_536  # the rare very long record text that keeps coming back as a candidate
HUGE_CACHE_SIZE = 64  # about 1 ms each (the dev corpus has an 11,657-character record)


def normalize(text: str, *, lower: bool = True) -> str:
    """Matching form: NFKC (full-width → half-width), simplified Chinese, lower case (unless
    `lower=False`, for cased encoders), controls removed, runs of spaces collapsed.
    Idempotent: normalize(normalize(x)) == normalize(x).

    Short texts (terms, facet values, sentences, the slices explanations verify: thousands
    per ranked query) and record-sized texts (the candidates whose key-term cover every query
    checks) go through bounded LRU caches, and so do a few very long record texts (up to
    `HUGE` characters); the function is pure, so a cached answer is the answer. Longer texts
    (ingest of whole documents) are not kept.
    """
    if not text:
        return ""
    if len(text) <= SHORT:
        return _normalize_short(text, lower)
    if len(text) <= LONG:
        return _normalize_long(text, lower)
    if len(text) <= HUGE:
        return _normalize_huge(text, lower)
    return _normalize(text, lower)


@lru_cache(maxsize=CACHE_SIZE)
def _normalize_short(text: str, lower: bool) -> str:
    return _normalize(text, lower)


@lru_cache(maxsize=LONG_CACHE_SIZE)
def _normalize_long(text: str, lower: bool) -> str:
    return _normalize(text, lower)


@lru_cache(maxsize=HUGE_CACHE_SIZE)
def _normalize_huge(text: str, lower: bool) -> str:
    return _normalize(text, lower)


def _normalize(text: str, lower: bool) -> str:
    out = text.replace("\r\n", "\n").replace("\r", "\n")
    out = strip_controls(unicodedata.normalize("NFKC", out))
    out = to_simplified(out)
    out = unicodedata.normalize("NFKC", out)
    out = out.lower() if lower else out
    out = _SPACE.sub(" ", out)
    out = _LINES.sub("\n", out)
    return out.strip()


def clean_display(text: str) -> str:
    """Display form: the original text with controls removed and edges trimmed."""
    return strip_controls(text).strip() if text else ""


def has_searchable(text: str) -> bool:
    """True if the text has a letter, digit or CJK character (not only punctuation/space):
    anything else gives the lexical side no token and the encoder nothing to mean."""
    return any(ch.isalnum() for ch in text)


def require_searchable(text: str, what: str, *, field: str) -> None:
    """Refuse to match by `text` (a stored record's) when it has nothing to match by: ranked
    by the embedding of punctuation, a need titled '！！！' got an expert at confidence 0.84."""
    if not has_searchable(text):
        raise ValidationError(f"{what} 没有可用于匹配的文字：标题、描述或摘要、关键词中没有字母、"
                              f"数字或汉字", field=field)
