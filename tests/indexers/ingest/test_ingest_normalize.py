"""Normalisation for matching: idempotent, total, and never applied to display text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.indexers.ingest.normalize import clean_display, normalize

_CJK_AND_SPACES = st.text(alphabet=st.characters(min_codepoint=0x3000, max_codepoint=0x9FFF)
                          | st.sampled_from(" \n\r\t\u3000\xa0ＡａＩi臺灣軟體"))


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_normalize_is_idempotent_and_never_raises(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert clean_display(clean_display(text)) == clean_display(text)


@settings(max_examples=300, deadline=None)
@given(_CJK_AND_SPACES)
def test_normalize_is_idempotent_on_cjk(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(st.text(alphabet=st.characters(codec=None, categories=["Cs"]), min_size=1))
def test_lone_surrogates_are_dropped(text: str) -> None:
    assert normalize("軟" + text) == "软"
    assert clean_display("軟" + text) == "軟"


def test_matching_form() -> None:
    assert normalize("ＡＩ　軟體開發\r\n\r\n平台\u200b") == "ai 软体开发\n平台"
    assert normalize("Deep  Learning", lower=False) == "Deep Learning"
    assert clean_display(" 軟體\x07開發 ") == "軟體開發"
