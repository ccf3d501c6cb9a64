"""The compiled segmenter (`_jiebafast`, jieba's algorithm in C) yields exactly jieba's tokens.

jieba itself is the reference (`Tokenizer.segment_jieba`, `Tokenizer.tokens_jieba`): every text
of the dev corpora (corpus and queries of csl-kw-dev and csl-title-dev) with and without a user
dictionary, constructed edge cases and random mixed text.
"""

from __future__ import annotations

import importlib.machinery
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.indexers import _jiebafast
from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer

# Words without a frequency, a word mixing digits and CJK, ASCII words, a word with '+'.
USER_DICT = ("翘曲变形\n姿态控制系统\n5g通信 300 n\nmems传感器\npcb 50 n\nlyapunov函数\n"
             "c++编译 20\n平方和优化 3\n")
_TOK = Tokenizer()  # the domain dictionary only, as the index and evaluation run


@pytest.fixture(scope="module")
def user_tok(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    path = tmp_path_factory.mktemp("dict") / "user.txt"
    path.write_text(USER_DICT, encoding="utf-8")
    return Tokenizer(user_dict=path)


def _texts(shared: Path, dataset: str) -> list[str]:
    """Every corpus record (title + abstract) and query of a dev set, as the files hold them."""
    out = []
    for name in ("corpus.jsonl", "queries.jsonl"):
        with open(shared / "eval" / dataset / name, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                out.append(f"{row.get('title', '')}\n{row['text']}".strip())
    return out


def _differing(tok: Tokenizer, texts: list[str]) -> list[str]:
    """Texts whose segments or tokens differ from jieba's (jieba run once per text)."""
    out = []
    for text in texts:
        norm = normalize(text)
        ref = tok.segment_jieba(norm)
        if tok.segment(norm) != ref or tok.tokens(text) != tok.plain_tokens(ref):
            out.append(text)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["csl-kw-dev", "csl-title-dev"])
@pytest.mark.parametrize("dictionary", ["domain", "domain+user"])
def test_identical_to_jieba_on_every_dev_text(shared_dir: Path, user_tok: Tokenizer,
                                              dataset: str, dictionary: str) -> None:
    tok = user_tok if dictionary == "domain+user" else _TOK
    texts = _texts(shared_dir, dataset)
    assert len(texts) == {"csl-kw-dev": 6301, "csl-title-dev": 6659}[dataset]
    assert _differing(tok, texts) == []


def test_user_dictionary_is_in_use_on_both_paths(user_tok: Tokenizer) -> None:
    for text, word in [(normalize("基于5G通信的MEMS传感器"), "5g通信"),
                       ("构造lyapunov函数", "lyapunov函数"), ("基于c++编译的方法", "c++编译")]:
        assert word in user_tok.segment(text)
        assert word in user_tok.segment_jieba(text)
        assert word not in _TOK.segment(text)


def test_the_compiled_segmenter_is_the_one_in_use() -> None:
    assert _jiebafast.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    fast = _TOK._fast
    assert isinstance(fast.compiled, _jiebafast.Segmenter)
    assert fast.cut_for_search.__self__ is fast.compiled  # the C method, no Python in between
    # it loaded jieba's dictionary: every key made only of characters of jieba's blocks
    assert fast.compiled.nodes > 400_000


def test_force_split_word_follows_jieba(tmp_path: Path) -> None:
    # a word given frequency 0 becomes a prefix only, and jieba's HMM splits it where it finds
    # it (jieba keeps such words in one process-wide set, which the compiled path reads too)
    assert "磊淼" in _TOK.segment("研究磊淼的")
    path = tmp_path / "user.txt"
    path.write_text("磊淼 0\n", encoding="utf-8")
    tok = Tokenizer(user_dict=path)
    for text in ["鑫垚磊淼", "磊淼", "鑫垚磊淼abc磊淼", "研究磊淼的"]:
        assert tok.segment(text) == tok.segment_jieba(text), text
    assert tok.segment("研究磊淼的") == ["研究", "磊", "淼", "的"]


def test_identical_on_constructed_edge_cases(user_tok: Tokenizer) -> None:
    cases = ["2076.2kg的载荷", "et-1与9-1号样品", "c++编译器和c#", "at&t公司", "3d打印机",
             "采用修正的rodrigues参数(mrp)", "近场后行比为3.5%", "相相相a相相", "γ射线探测",
             "鑫垚磊淼abc", "  多个   空格\n换行\r\n", "中苏k值", "㐀㐁测试", "a", "", "……",
             "确认。相相相相相相相相相相机机机机机机机机机机123452345工厂终端", "常常出现ab常常",
             "高炉高炉x高炉", "ababa甲乙甲乙甲",
             # the one-call path: sentinel characters in the text, repeats held for jieba away
             # from runs, runs that could be part of a mixed word (1号店, 4s店, 江南style)
             "a\x00相相\x01b", "相关关系,即随2021年常常出现", "在1号店与4s店买的x光片",
             "江南style的2021", "21号店铺", "常常,a常常", "高炉高炉,b"]
    for text in cases:
        assert user_tok.segment(text) == user_tok.segment_jieba(text), text


_ALPHABET = st.sampled_from(list("的了是在和与锂电池正极材料翘曲变形注塑件中苏近场后行比为相"
                                 "鑫垚磊淼打印通信传感器函数abcdegkmpsxyz0123456789.-+#&%_ "
                                 "，。、（）()\n")
                             # whitespace jieba keeps apart, CJK outside its range, Latin-1
                             + ["\r\n", "\r", "\t", "\u3000", "㐀", "𠀀", "é"])
_MIXED_PARTS = st.sampled_from(["1", "号店", "4s", "店", "style", "江南", "3d", "打印", "相关",
                                "关系", "常", "a", "2021", "年", ",", " ", "x", "光", "\x00"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_identical_on_random_mixed_text(text: str) -> None:
    assert _TOK.segment(text) == _TOK.segment_jieba(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(_MIXED_PARTS, max_size=16).map("".join))
def test_identical_near_mixed_words_and_repeats(text: str) -> None:
    assert _TOK.segment(text) == _TOK.segment_jieba(text)


def test_identical_where_a_repeat_sits_before_a_run() -> None:
    # jieba breaks the repeat's tie with the run's route in the sum (the rounding of the
    # route's floats depends on the dictionary: these differ without a user dictionary)
    for text in ["常常常甲乙的a", "a常常常甲乙的1", "常人人人人越来越2021",
                 "常常常出现高炉相相机2021",
                 # refused blocks amid accepted text: only they go block-wise
                 "前文2021年的研究，常常常甲乙的a，后文b的研究 常人人人人越来越2021 3d打印",
                 # more refused blocks than are handled one by one: the rest goes block-wise
                 "，".join(["常常常甲乙的a", "研究2021年"] * 40)]:
        assert _TOK.segment(text) == _TOK.segment_jieba(text), text
