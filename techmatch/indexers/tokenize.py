"""Tokenizer: jieba search-mode segmentation + domain dictionary + stopwords + CJK bigram fallback.

Segments are jieba's, computed by jieba's algorithm compiled to C over jieba's own dictionary
(`techmatch.indexers.segment.FastSegmenter`); jieba itself stays the reference
(`segment_jieba`, `tokens_jieba`), and the two are tested equal on real corpora with the
dictionaries loaded.

The same `Tokenizer.tokens()` runs at index and at query time; `Tokenizer.fingerprint` (a hash
of the jieba version, dictionaries, stopwords and this module's rules) goes into every index
manifest so an index built with another dictionary is refused instead of silently mismatching.
"""

from __future__ import annotations

import hashlib
import logging
import re
from importlib import resources
from pathlib import Path

from techmatch.errors import ConfigError
from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.segment import FastSegmenter

RULES_VERSION = "tok-1"  # bump when the token rules below change
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]$")
_KINDS_MAX = 500_000
_WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff]", re.UNICODE)


def _resource_text(name: str) -> str:
    return resources.files("techmatch.resources").joinpath(name).read_text(encoding="utf-8")


class Tokenizer:
    """jieba (search mode) over normalised text; build once and share (thread-safe reads)."""

    def __init__(self, *, user_dict: Path | None = None, stopwords: Path | None = None) -> None:
        import jieba

        logging.getLogger("jieba").setLevel(logging.WARNING)
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        dict_texts = [_resource_text("domain_dict.txt")]
        if user_dict is not None:
            dict_texts.append(_read(user_dict, "用户词典（TECHMATCH_USER_DICT）"))
        stop_texts = [_resource_text("stopwords.txt")]
        if stopwords is not None:
            stop_texts.append(_read(stopwords, "停用词表（TECHMATCH_STOPWORDS）"))
        self._jieba.initialize()
        for text in dict_texts:
            for line in text.splitlines():
                parts = line.split()
                if not parts:
                    continue
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                self._jieba.add_word(normalize(parts[0]), freq=freq)
        self._fast = FastSegmenter(self._jieba)
        self._kinds: dict[str, str | tuple[str]] = {}
        self.stopwords = frozenset(normalize(w) for t in stop_texts for w in t.split())
        digest = hashlib.sha256()
        for part in [RULES_VERSION, jieba.__version__, *dict_texts, "\0", *stop_texts]:
            digest.update(part.encode("utf-8"))
        self.fingerprint = digest.hexdigest()[:16]

    def segment(self, text: str) -> list[str]:
        """jieba search-mode segments of already-normalised text (compiled; no filtering)."""
        return self._fast.cut_for_search(text)

    def segment_jieba(self, text: str) -> list[str]:
        """The same segments from jieba alone (the reference the fast path is tested against)."""
        return list(self._jieba.cut_for_search(text))

    def tokens_jieba(self, text: str) -> list[str]:
        """`tokens` over jieba's own segments (the reference `tokens` is tested against)."""
        return self.plain_tokens(self.segment_jieba(normalize(text)))

    def plain_tokens(self, segments: list[str]) -> list[str]:
        """The filters of `tokens` over given segments, written plainly: stopwords and
        punctuation dropped, single CJK characters kept and their runs' bigrams added."""
        out: list[str] = []
        run: list[str] = []
        for seg in segments:
            word = seg.strip()
            if len(word) == 1 and _CJK.match(word) and word not in self.stopwords:
                run.append(word)
                out.append(word)
                continue
            out.extend(_bigrams(run))
            run = []
            if word and _WORD.search(word) and word not in self.stopwords:
                out.append(word)
        out.extend(_bigrams(run))
        return out

    def tokens(self, text: str) -> list[str]:
        """Normalise, segment, drop stopwords and punctuation, add bigrams of unknown CJK runs."""
        out: list[str] = []
        run: list[str] = []
        get = self._kinds.get
        for seg in self.segment(normalize(text)):
            kind = get(seg)
            if kind is None:
                kind = self._classify(seg)
            if kind.__class__ is tuple:  # a single CJK character jieba could not group
                run.append(kind[0])
                out.append(kind[0])
                continue
            if run:
                if len(run) > 1:
                    out.extend(_bigrams(run))
                run = []
            if kind:
                out.append(kind)  # type: ignore[arg-type]
        out.extend(_bigrams(run))
        return out

    def _classify(self, seg: str) -> str | tuple[str]:
        """A segment's kind, remembered per distinct segment (a vocabulary, bounded): the
        stripped segment as a 1-tuple when it is a single non-stopword CJK character (kept,
        and bigrams are made of runs of those), the stripped segment when it is otherwise
        kept, "" when it is dropped (stopword, punctuation, space)."""
        word = seg.strip()
        kind: str | tuple[str]
        if len(word) == 1 and _CJK.match(word) and word not in self.stopwords:
            kind = (word,)
        elif word and _WORD.search(word) and word not in self.stopwords:
            kind = word
        else:
            kind = ""
        if len(self._kinds) >= _KINDS_MAX:
            self._kinds.clear()
        self._kinds[seg] = kind
        return kind


def _bigrams(run: list[str]) -> list[str]:
    """Character bigrams over a run of single CJK characters jieba could not group."""
    if len(run) < 2:
        return []
    return [run[i] + run[i + 1] for i in range(len(run) - 1)]


def _read(path: Path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} 不是 UTF-8 文本") from exc
    except OSError as exc:
        reason = ("文件不存在" if isinstance(exc, FileNotFoundError)
                  else exc.strerror or str(exc))
        raise ConfigError(f"无法读取{what} {path}（{reason}）") from exc
