"""jieba's search-mode segmentation, compiled: `techmatch.indexers._jiebafast`.

`_jiebafast.c` is jieba 0.42's `cut_for_search` (HMM on) step for step — blocks, the prefix
dictionary DAG, the max log-probability route, finalseg's Viterbi for buffered single
characters, the dictionary 2- and 3-grams — run over jieba's own data: the initialised
tokenizer's FREQ and total (so the domain and user dictionaries are exactly what jieba loaded)
and finalseg's probabilities and force-split set. It is built by the install (setup.py); a
failed build fails the install, and there is no Python fallback here: importing this module
without the compiled extension raises.

jieba itself stays the reference: `Tokenizer.segment_jieba` / `Tokenizer.tokens_jieba`, which
`tests/indexers/test_tokenize_identity.py` compares with this path on every text of the dev
corpora (user dictionary loaded), on edge cases and on random mixed text.
"""

from __future__ import annotations

from collections.abc import Callable

import jieba
import jieba.finalseg

from techmatch.indexers import _jiebafast


class FastSegmenter:
    """`cut_for_search` with jieba's tokens, computed by `_jiebafast.Segmenter`."""

    def __init__(self, py: jieba.Tokenizer) -> None:
        """`py` is the jieba tokenizer with every dictionary word added; its dictionary is
        read now (words added to `py` later are not seen)."""
        py.check_initialized()
        seg = jieba.finalseg
        self.compiled = _jiebafast.Segmenter(py.FREQ, py.total, seg.start_P, seg.trans_P,
                                             seg.emit_P, seg.Force_Split_Words)
        # the compiled method itself: no Python frame per call
        self.cut_for_search: Callable[[str], list[str]] = self.compiled.cut_for_search
