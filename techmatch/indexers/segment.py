"""Fast jieba search-mode segmentation: rjieba (jieba-rs) where it is token-identical to jieba.

jieba and jieba-rs agree on blocks of pure CJK (the dictionary route and the HMM), but treat
Latin letters and digits differently (jieba-rs's HMM skip pattern accepts any character before
a decimal part, and it groups ASCII runs in the route). So, inside each of jieba's own blocks:

- pure CJK blocks, with the spaces and punctuation between them, go to rjieba in one call;
- a mixed block (CJK with Latin / digits) is split into CJK and non-CJK runs: rjieba gives the
  CJK runs' dictionary route (no HMM), jieba's own `get_DAG` / `calc` the non-CJK runs' route,
  and jieba's output step (single characters buffered, unknown buffers through jieba's HMM) runs
  here over the joined route — exactly what jieba does, because the best route of a block
  splits at a run boundary when no dictionary word crosses it; blocks holding a dictionary word
  that mixes CJK and non-CJK characters (e.g. 3d打印) are left to jieba whole;
- text with CJK characters outside jieba's range (extension A, compatibility ideographs), which
  jieba-rs would group, goes to jieba whole.

`tests/indexers/test_tokenize_identity.py` compares every token with jieba's on real corpora
with the domain and a user dictionary loaded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import jieba
import jieba.finalseg
import rjieba

_CJK_CHAR = re.compile(r"[\u4E00-\u9FD5]")
_NON_CJK_CHAR = re.compile(r"[a-zA-Z0-9+#&._%\-]")
_NON_CJK_ONLY = re.compile(r"[a-zA-Z0-9+#&._%\-]+")
_CJK_ONLY = re.compile(r"[\u4E00-\u9FD5]+")
_WIDER_HAN = re.compile(r"[\u3400-\u4DBF\u9FD6-\u9FFF\uF900-\uFAFF\U00020000-\U0002FFFF]")
_HMM_SKIP = jieba.finalseg.re_skip
_CJK_RUNS = re.compile(r"([\u4E00-\u9FD5]+)")


class FastSegmenter:
    """`cut_for_search` with jieba's tokens, most of the work done by rjieba."""

    def __init__(self, py: jieba.Tokenizer, added: Sequence[tuple[str, int | None]]) -> None:
        """`py` is the initialised jieba tokenizer, `added` the (word, freq) pairs given to its
        `add_word`, in order (rjieba gets the same)."""
        py.check_initialized()
        self._py = py
        self._freq = py.FREQ
        self._rj = rjieba.Jieba()
        for word, freq in added:
            self._rj.add_word(word, freq, None)
        mixed = sorted((w for w, f in self._freq.items()
                        if f and _CJK_CHAR.search(w) and _NON_CJK_CHAR.search(w)),
                       key=len, reverse=True)
        self._mixed = re.compile("|".join(map(re.escape, mixed))) if mixed else None
        ascii_words = sorted((w for w, f in self._freq.items()
                              if f and len(w) > 1 and _NON_CJK_ONLY.fullmatch(w)),
                             key=len, reverse=True)
        self._ascii_words = (re.compile("|".join(map(re.escape, ascii_words)))
                             if ascii_words else None)
        self._han = jieba.re_han_default

    def cut_for_search(self, text: str) -> list[str]:
        """jieba's `cut_for_search(text)` tokens, in jieba's order."""
        if _WIDER_HAN.search(text):  # characters jieba-rs groups as CJK and jieba does not
            return list(self._py.cut_for_search(text))
        out: list[str] = []
        plain: list[str] = []  # pure CJK blocks and what separates them: rjieba in one call
        for i, block in enumerate(self._han.split(text)):
            if i % 2 == 0 or _CJK_ONLY.fullmatch(block):
                plain.append(block)
                continue
            if plain:
                out.extend(self._rj.cut_for_search("".join(plain)))
                plain = []
            if self._mixed is not None and self._mixed.search(block):
                out.extend(self._py.cut_for_search(block))
            else:
                out.extend(self._mixed_block(block))
        if plain:
            out.extend(self._rj.cut_for_search("".join(plain)))
        return out

    def _mixed_block(self, block: str) -> list[str]:
        """A block of CJK and non-CJK runs, as jieba cuts it (see the module docstring)."""
        out: list[str] = []
        buf = ""
        for j, run in enumerate(_CJK_RUNS.split(block)):
            if not run:
                continue
            if j % 2 == 0:  # non-CJK run: almost always single characters (buffered)
                if self._ascii_words is None or not self._ascii_words.search(run):
                    buf += run
                    continue
                for word in self._py_route(run):
                    if len(word) == 1:
                        buf += word
                    else:
                        out.extend(self._flush(buf))
                        buf = ""
                        out.extend(self._grams(word))
                continue
            route = self._rj.cut(run, False)
            if len(route) == 1 and len(run) > 1:  # one dictionary word
                out.extend(self._flush(buf))
                out.extend(self._grams(run))
                buf = ""
                continue
            lead = 0
            while lead < len(route) and len(route[lead]) == 1:
                lead += 1
            if lead == len(route):
                buf += run
                continue
            trail = 0
            while len(route[-1 - trail]) == 1:
                trail += 1
            buf += run[:lead]
            out.extend(self._flush(buf))
            out.extend(self._rj.cut_for_search(run[lead:len(run) - trail]))
            buf = run[len(run) - trail:]
        out.extend(self._flush(buf))
        return out

    def _py_route(self, run: str) -> list[str]:
        """jieba's dictionary route of a run (its own get_DAG / calc)."""
        route: dict[int, tuple[float, int]] = {}
        self._py.calc(run, self._py.get_DAG(run), route)
        words, x = [], 0
        while x < len(run):
            y = route[x][1] + 1
            words.append(run[x:y])
            x = y
        return words

    def _flush(self, buf: str) -> list[str]:
        """jieba's handling of buffered single characters, with search-mode grams."""
        if not buf:
            return []
        if len(buf) == 1:
            return [buf]
        if self._freq.get(buf):
            return list(buf)
        if buf.isascii():  # jieba's HMM step only splits it into number / word runs
            return [g for w in _HMM_SKIP.split(buf) if w for g in self._grams(w)]
        out: list[str] = []
        for j, part in enumerate(_CJK_RUNS.split(buf)):
            if not part:
                continue
            if j % 2 == 0:  # non-CJK: jieba's HMM step keeps number / word runs whole
                words = [w for w in _HMM_SKIP.split(part) if w]
            elif len(part) == 1:
                words = [part]
            else:
                words = list(jieba.finalseg.cut(part))
            for word in words:
                out.extend(self._grams(word))
        return out

    def _grams(self, w: str) -> list[str]:
        """jieba's `cut_for_search` expansion of one word: dictionary 2- and 3-grams, then it."""
        if len(w) <= 2:
            return [w]
        freq = self._freq
        out = [w[i:i + 2] for i in range(len(w) - 1) if freq.get(w[i:i + 2])]
        if len(w) > 3:
            out.extend(w[i:i + 3] for i in range(len(w) - 2) if freq.get(w[i:i + 3]))
        out.append(w)
        return out
