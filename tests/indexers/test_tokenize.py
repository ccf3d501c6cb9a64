"""Tokenizer: jieba search mode, domain dictionary, stopwords, CJK fallback, fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.errors import ConfigError
from techmatch.indexers.tokenize import Tokenizer


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer()


def test_search_mode_emits_compound_and_parts(tok: Tokenizer) -> None:
    tokens = tok.tokens("锂电池正极材料")
    assert "锂电池" in tokens and "正极材料" in tokens
    assert "电池" in tokens and "材料" in tokens  # search mode adds the parts


def test_traditional_and_fullwidth_match_simplified(tok: Tokenizer) -> None:
    assert tok.tokens("鋰電池正極材料") == tok.tokens("锂电池正极材料")
    assert tok.tokens("ＡＩ芯片") == tok.tokens("ai芯片")


def test_stopwords_and_punctuation_dropped(tok: Tokenizer) -> None:
    tokens = tok.tokens("我们需要解决注塑件翘曲变形的问题！！")
    assert "的" not in tokens and "我们" not in tokens and "！" not in tokens
    assert "翘曲" in tokens


def test_unknown_cjk_run_gets_bigrams(tok: Tokenizer) -> None:
    tokens = tok.tokens("鑫垚磊淼")
    assert {"鑫垚", "垚磊", "磊淼"} <= set(tokens)


def test_user_dictionary_changes_segmentation_and_fingerprint(tmp_path: Path) -> None:
    base = Tokenizer()
    user = tmp_path / "user.txt"
    user.write_text("翘曲变形 1000 n\n", encoding="utf-8")
    custom = Tokenizer(user_dict=user)
    assert "翘曲变形" in custom.tokens("注塑件翘曲变形")
    assert "翘曲变形" not in base.tokens("注塑件翘曲变形")
    assert custom.fingerprint != base.fingerprint


def test_missing_user_dictionary_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.txt"):
        Tokenizer(user_dict=tmp_path / "nope.txt")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_never_raises_and_yields_clean_tokens(text: str) -> None:
    tokens = _TOK.tokens(text)
    assert all(t and t == t.strip() for t in tokens)


_TOK = Tokenizer()
