"""Fast jieba search-mode segmentation: rjieba (jieba-rs) where it gives jieba's tokens.

jieba and jieba-rs agree on pure CJK text (dictionary route and HMM) except where a repeated
unit (常常, 相相相相) lets two segmentations tie, which they break differently; they disagree on
Latin letters and digits (jieba-rs's HMM skip pattern accepts any character before a decimal
part, and it groups ASCII runs in the route). So:

- usually (`_by_stretches`): the text between non-CJK runs goes to rjieba (blocks with a
  repeated unit to jieba), and each non-CJK run is split as jieba's HMM step splits it. jieba
  buffers a run with the single characters its route leaves beside it and splits the buffer
  back into CJK parts and number / word runs, so each side comes out as if it stood alone —
  unless those single characters spell a dictionary word (checked), or the text holds a
  dictionary word mixing CJK and non-CJK (3d打印) or made of non-CJK characters (c++);
- `_in_one_call` does the same in one rjieba call per text: the non-CJK runs and the CJK runs
  with a repeat are replaced by sentinel characters (blocks of their own, so rjieba cuts what
  lies between them as if alone) whose tokens are put back afterwards; the checks above look
  at the tokens beside each sentinel, and a run is looked up once (remembered) for dictionary
  words it could hold or be part of;
- where `_in_one_call` refuses, it names the jieba block it refused at: that block goes
  block-wise, the text before and after it (whole blocks: jieba cuts each block alone) through
  `_in_one_call` again;
- block-wise (`_by_blocks`), per jieba block (each block alone through `_in_one_call` first):
  pure CJK blocks to rjieba; a mixed block split
  into runs, rjieba giving the CJK runs' route, jieba's `get_DAG` / `calc` the others', and
  jieba's output step (buffered single characters, HMM) run here over the joined route — the
  best route splits at a run boundary when no dictionary word crosses it;
- text with CJK characters outside jieba's range (extension A, compatibility ideographs), which
  jieba-rs would group, goes to jieba whole.

Identity is tested, not proven: `tests/indexers/test_tokenize_identity.py` compares every token
with jieba's on real corpus text with the domain and a user dictionary loaded, on edge cases and
on random mixed text.
"""

from __future__ import annotations

import itertools
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
# A repeated unit (常常, 相相相相, abab) can tile a block in two ways of equal probability; jieba
# and jieba-rs then break the tie differently, so such blocks go to jieba.
_REPEAT = re.compile(r"([\u4E00-\u9FD5]{1,4})\1")
_REPEAT_BLOCK = re.compile(r"[\u4E00-\u9FD5]*?([\u4E00-\u9FD5]{1,4})\1[\u4E00-\u9FD5]*")
_LEAD_CJK = re.compile(r"[\u4E00-\u9FD5]+")
_TRAIL_CJK = re.compile(r"[\u4E00-\u9FD5]+$")
_NON_CJK_SPLIT = re.compile(r"([a-zA-Z0-9+#&._%\-]+)")
_CJK_RUNS = re.compile(r"([\u4E00-\u9FD5]+)")
_RUN = "\x00"  # stands for a non-CJK run in the one rjieba call (a block of its own)
_HELD = "\x01"  # stands for a CJK run with a repeat (cut by jieba)
_MEMO_MAX = 200_000


_DEPTH_MAX = 64  # refused blocks handled one by one before the rest goes block-wise


def _is_block_char(char: str) -> bool:
    """A character of jieba's blocks (re_han_default): CJK or a non-CJK run character."""
    return "\u4e00" <= char <= "\u9fd5" or (
        char.isascii() and (char.isalnum() or char in "+#&._%-"))


def _run_offset(parts: list[str], k: int) -> int:
    """Offset in the text of the k-th non-CJK run (`parts`: the text split around runs)."""
    return sum(len(p) for p in parts[:2 * k + 1])


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fd5"


def _replace(tokens: list[str], at: list[int], parts: list[list[str]]) -> None:
    """Replace tokens[at[i]] (one token each, ascending) by the tokens parts[i], in place."""
    for pos, part in zip(reversed(at), reversed(parts), strict=True):
        if len(part) == 1:
            tokens[pos] = part[0]
        else:
            tokens[pos:pos + 1] = part


def _positions(tokens: list[str], mark: str, count: int) -> list[int]:
    """Indices of the first `count` tokens equal to `mark`."""
    out: list[int] = []
    pos = -1
    for _ in range(count):
        pos = tokens.index(mark, pos + 1)
        out.append(pos)
    return out


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
        # each non-CJK piece of those words, and whether it must start / end a run holding it
        self._pieces: dict[tuple[str, bool, bool], list[str]] = {}
        for word in mixed:
            for m in _NON_CJK_ONLY.finditer(word):
                key = (m.group(0), m.start() > 0, m.end() < len(word))
                self._pieces.setdefault(key, []).append(word)
        self._run_flags: dict[str, bool | tuple[str, ...]] = {}
        self._run_words: dict[str, list[str]] = {}
        # non-CJK pieces of dictionary words: a run holding one may hold or border such a word
        self._reach = max((len(w) for w in mixed), default=0)

    def cut_for_search(self, text: str) -> list[str]:
        """jieba's `cut_for_search(text)` tokens, in jieba's order."""
        if _WIDER_HAN.search(text):  # characters jieba-rs groups as CJK and jieba does not
            return list(self._py.cut_for_search(text))
        return self._cut(text, 0)

    def _cut(self, text: str, depth: int) -> list[str]:
        """`_in_one_call`; where it refuses, the jieba block it refused at goes block-wise
        (`_by_blocks`) and the text before and after it (whole blocks: jieba cuts each block
        alone) through `_cut` again."""
        fast = self._in_one_call(text)
        if fast is None:
            return []
        if not isinstance(fast, int):
            return fast
        if fast < 0 or depth > _DEPTH_MAX:
            return self._by_blocks(text)
        start = end = fast
        while start > 0 and _is_block_char(text[start - 1]):
            start -= 1
        while end < len(text) and _is_block_char(text[end]):
            end += 1
        out = self._cut(text[:start], depth + 1) if start else []
        out += self._by_blocks(text[start:end])
        if end < len(text):
            out += self._cut(text[end:], depth + 1)
        return out

    def _in_one_call(self, text: str) -> list[str] | int | None:
        """`_by_stretches` with one rjieba call per text: each non-CJK run is replaced by a
        sentinel (a character of no block, so rjieba cuts the stretches between them exactly
        as it cuts each alone), each CJK run with a repeat by another sentinel (that run goes to
        jieba), and the sentinels' tokens are replaced afterwards. Same decisions as
        `_by_stretches`: where it gives None, the offset of a character of the jieba block
        that made it refuse (-1 when not known); None for empty text.
        """
        if not text:
            return None
        if _RUN in text or _HELD in text:
            found = self._by_stretches(text)
            return found if found is not None else -1
        parts = _NON_CJK_SPLIT.split(text)
        runs = parts[1::2]
        flags = self._run_flags
        candidates: list[str] = []
        for k, run in enumerate(runs):
            flag = flags.get(run)
            if flag is None:
                flag = self._flag_run(run)
            if flag is True:
                return _run_offset(parts, k)
            if flag:
                candidates.extend(flag)
        # a dictionary word mixing CJK and non-CJK lies within reach of the run it overlaps
        for word in candidates:
            if word in text:
                return text.index(word)
        stretches = parts[0::2]
        joined = _RUN.join(stretches) if runs else text
        held: list[str] = []
        if _REPEAT.search(joined):
            for match in _REPEAT_BLOCK.finditer(joined):
                start, end = match.span()
                if (start and joined[start - 1] == _RUN) or (
                        end < len(joined) and joined[end] == _RUN):
                    # a repeat beside a run: its tie is broken with the run's route
                    k = joined.count(_RUN, 0, start)
                    return start + sum(len(r) for r in runs[:k]) - k
                held.append(match.group(0))
            joined = _REPEAT_BLOCK.sub(_HELD, joined)
        tokens = self._rj.cut_for_search(joined)
        if held:
            _replace(tokens, _positions(tokens, _HELD, len(held)),
                     [self._py_search(b) for b in held])
        if not runs:
            return tokens
        at = _positions(tokens, _RUN, len(runs))
        last = len(tokens) - 1
        for k, pos in enumerate(at):
            # two single-character tokens before / after the run: do they spell a word?
            before = stretches[k]
            if (before and pos > 1 and len(tokens[pos - 1]) == 1 and len(tokens[pos - 2]) == 1
                    and _is_cjk(before[-1]) and self._edge_at(tokens, pos, -1)):
                return _run_offset(parts, k)
            after = stretches[k + 1]
            if (after and pos < last - 1 and len(tokens[pos + 1]) == 1
                    and len(tokens[pos + 2]) == 1 and _is_cjk(after[0])
                    and self._edge_at(tokens, pos, 1)):
                return _run_offset(parts, k)
        _replace(tokens, at, [self._run_tokens(r) for r in runs])
        return tokens

    def _flag_run(self, run: str) -> bool | tuple[str, ...]:
        """True when a non-CJK run holds a dictionary word (c++); else the dictionary words
        mixing CJK and non-CJK characters the run could be part of (it holds a non-CJK piece
        of one — the 5g of 5g通信 — placed as in the word: a piece followed by other
        characters in the word ends the run, one preceded by some starts it), often none;
        remembered per run."""
        flag: bool | tuple[str, ...]
        if self._ascii_words is not None and self._ascii_words.search(run):
            flag = True
        else:
            flag = tuple(word for (piece, first, last), words in self._pieces.items()
                         if (run.startswith(piece) if first else True)
                         and (run.endswith(piece) if last else True) and piece in run
                         for word in words)
        if len(self._run_flags) >= _MEMO_MAX:
            self._run_flags.clear()
        self._run_flags[run] = flag
        return flag

    def _run_tokens(self, run: str) -> list[str]:
        """jieba's HMM step over a non-CJK run with no dictionary word: number / word runs."""
        words = self._run_words.get(run)
        if words is None:
            words = [w for w in _HMM_SKIP.split(run) if w]
            if len(self._run_words) >= _MEMO_MAX:
                self._run_words.clear()
            self._run_words[run] = words
        return words

    def _py_search(self, block: str) -> list[str]:
        return list(self._py.cut_for_search(block))

    def _edge_at(self, tokens: list[str], pos: int, step: int) -> bool:
        """`_edge_word` of the stretch beside the sentinel at `pos` (after it when step is 1,
        before it when -1)."""
        if step == 1:
            end = pos + 1
            while end < len(tokens) and tokens[end] != _RUN:
                end += 1
            return self._edge_word(tokens[pos + 1:end], lead=True)
        start = pos - 1
        while start >= 0 and tokens[start] != _RUN:
            start -= 1
        return self._edge_word(tokens[start + 1:pos], lead=False)

    def _by_stretches(self, text: str) -> list[str] | None:
        """rjieba over the text between non-CJK runs, jieba's HMM split of the runs; None when
        a run's neighbourhood could make jieba differ (then `_by_blocks` decides).

        jieba buffers a non-CJK run with the single characters its route leaves on either side
        and splits the buffer back into CJK parts (HMM) and number / word runs, so each side is
        cut as if it stood alone — except where the single characters beside the run spell a
        dictionary word (rjieba alone would emit them one by one): that is checked here.
        """
        parts = _NON_CJK_SPLIT.split(text)
        last = len(parts) - 1
        out: list[str] = []
        pos = 0
        for j, part in enumerate(parts):
            pos += len(part)
            if j % 2:
                if self._near_word(text, pos - len(part), pos):
                    return None
                out.extend(w for w in _HMM_SKIP.split(part) if w)  # no word: no search grams
                continue
            if not part:
                continue
            lead = j > 0 and _CJK_CHAR.match(part[0])
            trail = j < last and _CJK_CHAR.match(part[-1])
            # a repeat beside a run: its tie would be broken with the run's route in the sum
            if ((lead and _REPEAT.search(_LEAD_CJK.match(part).group(0)))  # type: ignore[union-attr]
                    or (trail and _REPEAT.search(_TRAIL_CJK.search(part).group(0)))):  # type: ignore[union-attr]
                return None
            tokens = self._cjk_text(part)
            if (lead and self._edge_word(tokens, lead=True)) or (
                    trail and self._edge_word(tokens, lead=False)):
                return None
            out.extend(tokens)
        return out

    def _near_word(self, text: str, start: int, end: int) -> bool:
        """Whether the non-CJK run text[start:end] holds a dictionary word (c++) or lies
        inside one that mixes CJK and non-CJK characters (3d打印)."""
        if self._ascii_words is not None and self._ascii_words.search(text, start, end):
            return True
        return self._mixed is not None and self._mixed.search(
            text, max(0, start - self._reach), min(len(text), end + self._reach)) is not None

    def _cjk_text(self, text: str) -> list[str]:
        """Text whose jieba blocks are all pure CJK: rjieba, except blocks with a repeat."""
        if not _REPEAT.search(text):
            return self._rj.cut_for_search(text)
        out: list[str] = []
        start = 0
        for match in _REPEAT_BLOCK.finditer(text):
            if match.start() > start:
                out.extend(self._rj.cut_for_search(text[start:match.start()]))
            out.extend(self._py.cut_for_search(match.group(0)))
            start = match.end()
        if start < len(text):
            out.extend(self._rj.cut_for_search(text[start:]))
        return out

    def _edge_word(self, tokens: list[str], *, lead: bool) -> bool:
        """True when the single-character tokens at the start (or end) of `tokens` begin (or
        end) with a dictionary word of two or more characters."""
        ends = tokens if lead else reversed(tokens)
        singles = "".join(itertools.takewhile(lambda t: len(t) == 1, ends))
        if len(singles) < 2:
            return False
        if lead:
            return any(self._freq.get(singles[:n]) for n in range(2, min(len(singles), 32) + 1))
        return any(self._freq.get(singles[n - 1::-1]) for n in range(2, min(len(singles), 32) + 1))

    def _by_blocks(self, text: str) -> list[str]:
        """jieba's blocks: pure CJK ones to rjieba, mixed ones run by run (see the module
        docstring)."""
        out: list[str] = []
        plain: list[str] = []  # pure CJK blocks and what separates them: rjieba in one call
        for i, block in enumerate(self._han.split(text)):
            if i % 2 == 0 or (_CJK_ONLY.fullmatch(block) and not _REPEAT.search(block)):
                plain.append(block)
                continue
            if plain:
                out.extend(self._rj.cut_for_search("".join(plain)))
                plain = []
            fast = self._in_one_call(block)  # jieba cuts each block alone: check this one
            if isinstance(fast, list):
                out.extend(fast)
            elif _REPEAT.search(block) or (self._mixed is not None and self._mixed.search(block)):
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
