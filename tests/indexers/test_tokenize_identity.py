"""The fast segmenter (rjieba where it agrees with jieba) yields exactly jieba's tokens."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer

# Words without a frequency, a word mixing digits and CJK, ASCII words, a word with '+'.
USER_DICT = ("翘曲变形\n姿态控制系统\n5g通信 300 n\nmems传感器\npcb 50 n\nlyapunov函数\n"
             "c++编译 20\n平方和优化 3\n")


@pytest.fixture(scope="module")
def user_tok(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    path = tmp_path_factory.mktemp("dict") / "user.txt"
    path.write_text(USER_DICT, encoding="utf-8")
    return Tokenizer(user_dict=path)


def _texts(shared: Path, limit: int) -> list[str]:
    """Titles + abstracts and queries of the csl-kw-dev set, normalised as the index does."""
    out = []
    for name in ("queries.jsonl", "corpus.jsonl"):
        with open(shared / "eval" / "csl-kw-dev" / name, encoding="utf-8") as handle:
            for line in itertools.islice(handle, limit):
                row = json.loads(line)
                out.append(normalize(f"{row.get('title', '')} {row['text']}".strip()))
    return out


@pytest.mark.slow
def test_identical_to_jieba_on_real_corpus_with_user_dictionary(shared_dir: Path,
                                                                 user_tok: Tokenizer) -> None:
    texts = _texts(shared_dir, 600)
    differing = [t for t in texts if user_tok.segment(t) != user_tok.segment_jieba(t)]
    assert differing == []
    # the user dictionary is really in use on both paths
    assert "5g通信" in user_tok.segment(normalize("基于5G通信的MEMS传感器"))
    assert "lyapunov函数" in user_tok.segment("构造lyapunov函数")


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
                                 "，。、（）()\n"))
_TOK = Tokenizer()
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
