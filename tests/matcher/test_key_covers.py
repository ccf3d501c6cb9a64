"""Shared per-need costs cut for the batch (issue 19) give the same answers: `key_covers` (all
candidates at once) equals `key_cover` text by text; remembered translations equal computed ones."""

from __future__ import annotations

import random

import pytest

from techmatch.matcher.abstain import key_cover, key_covers


def test_key_covers_equal_key_cover_per_text() -> None:
    rng = random.Random(7)
    alphabet = list("泡沫镍超级电容ab cde锂电池")
    for _ in range(300):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
                 for _ in range(rng.randint(0, 8))]
        terms = []
        for _ in range(rng.randint(0, 6)):
            alts = tuple("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))
                         for _ in range(rng.randint(1, 3)))
            terms.append(alts[0] if len(alts) == 1 else alts)
        assert key_covers(terms, texts) == [key_cover(terms, t) for t in texts]


def test_key_covers_values() -> None:
    terms = ["泡沫镍", ("supercapacitor", "超级电容"), "ab"]
    texts = ["泡沫镍与超级电容", "AB", "", "ab泡沫镍"]
    assert key_covers(terms, texts) == [2 / 3, 1 / 3, 0.0, 2 / 3]
    assert key_covers([], texts) == [0.0] * 4
    assert key_covers(["x\x00y"], ["x\x00y"]) == [key_cover(["x\x00y"], "x\x00y")]


LINES = ["電池 电池 [dian4 chi2] /battery/", "鋰 锂 [li3] /lithium (chemistry)/",
         "廢水 废水 [fei4 shui3] /waste water/"]


def test_translated_set_and_alternatives_equal_the_uncached_answers() -> None:
    from techmatch.indexers.tokenize import Tokenizer
    from techmatch.matcher.crosslingual import Translator, parse_cedict

    tok = Tokenizer()
    translator = Translator(tok.tokens, parse_cedict(LINES))
    for text in ("锂电池废水", "lithium battery waste water", "12345"):
        tokens = tok.tokens(text)
        translated = translator.translate(text, tokens)[1]  # retrieval's call
        expected = frozenset(Translator(tok.tokens, parse_cedict(LINES))
                             .translate(text, sorted(set(tokens)))[1])
        assert frozenset(translated) == expected
        assert translator.translated_set(text, frozenset(tokens)) == expected
        assert Translator(tok.tokens, parse_cedict(LINES)).translated_set(text, tokens) \
            == expected  # nothing remembered: computed
    assert "battery" in translator.translated_set("锂电池", ["电池", "锂"])
    for term in ("电池", "battery", "电池"):  # the second 电池 is remembered
        assert translator.alternatives(term) == \
            Translator(tok.tokens, parse_cedict(LINES)).alternatives(term)
    assert translator.alternatives("battery") == ("battery", "电池")


def test_key_covers_ascii_terms_inside_chinese_text_and_many_texts() -> None:
    """ASCII terms are looked up in the texts' ASCII runs alone: at the edges of Chinese
    runs, across a run break (never), and with more texts than an int64 has bits."""
    terms = ["ph", ("lithium battery", "锂电池"), "ph值", "a b", "10"]
    texts = ["ph值为7", "测ph", "lithium电池battery", "A\u3000B", "锂电池10", "p锂h"]
    assert key_covers(terms, texts) == [key_cover(terms, t) for t in texts]
    assert key_covers(terms, texts)[5] == 0.0  # "p" and "h" around a Chinese character
    many = texts * 12
    assert key_covers(terms, many) == [key_cover(terms, t) for t in many]
    assert key_covers(terms, texts, normal=lambda t: "ph") == [0.2] * len(texts)


def test_to_english_remembered_per_token_equals_the_glosses_words() -> None:
    from techmatch.matcher.crosslingual import parse_cedict

    remembered = parse_cedict(LINES)
    tokens = ["电池", "锂", "未知", "废水", "电池"]
    first = remembered.to_english(tokens)
    assert first == ["battery", "waste", "water", "battery"]  # parse_cedict keeps no gloss of 锂
    assert remembered.to_english(tokens) == first == parse_cedict(LINES).to_english(tokens)
    assert remembered.to_english(["废水"]) == ["waste", "water"]


def test_compiled_masks_equal_the_python_search() -> None:
    """`_textmask.masks` (C) against `_Joined.mask` (Python) on texts of every string width
    (ASCII, CJK, astral), repeated and overlapping occurrences, absent and empty strings."""
    import random

    from techmatch.matcher import _textmask
    from techmatch.matcher.abstain import _Joined

    rng = random.Random(7)
    alphabet = ["a", "b", "锂", "电", "池", "𠀋", "é", " "]
    for _ in range(200):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
                 for _ in range(rng.randint(1, 20))]
        joined = _Joined(texts)
        alts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))
                for _ in range(30)]
        assert _textmask.masks(joined.joined, joined.ends, alts) == [joined.mask(a)
                                                                     for a in alts]
    many = _Joined(["x"] * (_textmask.MAX_TEXTS + 1))
    assert many.masks(["x"]) == [many.mask("x")] == [(1 << (_textmask.MAX_TEXTS + 1)) - 1]
    with pytest.raises(ValueError, match="64"):
        _textmask.masks(many.joined, many.ends, ["x"])
    with pytest.raises(TypeError, match="str"):
        _textmask.masks("ab", [3], [b"a"])


def test_compiled_masks_indexed_search_equals_the_python_search() -> None:
    """With many strings `_textmask.masks` searches a character-pair index of the joined
    text instead of scanning it once per string: the same masks as `_Joined.mask` on
    need-sized inputs (20 texts of a few hundred characters, ~200 strings of every length,
    overlapping and repeated occurrences, strings longer than any text), below and above the
    number of strings where the index is used, and past a short `ends`."""
    import random

    from techmatch.matcher import _textmask
    from techmatch.matcher.abstain import _Joined

    rng = random.Random(19)
    alphabet = ["a", "a", "b", "锂", "电", "池", "电", "𠀋", "é", " ", "\x01"]
    for _ in range(60):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
                 for _ in range(rng.randint(1, 20))]
        joined = _Joined(texts)
        # strings taken from the texts (present) and drawn at random (mostly absent)
        taken = []
        for _ in range(120):
            text = rng.choice(texts)
            start = rng.randint(0, max(len(text) - 1, 0))
            taken.append(text[start:start + rng.randint(0, 6)])
        drawn = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
                 for _ in range(80)]
        for alts in (taken + drawn, drawn[:3], taken[:7], ["a" * 500, "aa", "aaa"] * 3):
            assert _textmask.masks(joined.joined, joined.ends, alts) == [joined.mask(a)
                                                                         for a in alts]
    # occurrences past the last separator are not counted, as in the scan
    assert _textmask.masks("abab", [2], ["ab"] * 8) == [1] * 8
    assert _textmask.masks("abab", [2], ["ab"]) == [1]
