"""Explanations: spans on the original text (traditional, full-width), sentences, pairs."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.explain import NormalizedText, contributions, highlights, sentences


def test_traditional_and_full_width_terms_are_found_on_the_original() -> None:
    text = NormalizedText("我公司生產動力電池，ＡＢＣ型号")
    spans = text.find("动力电池")
    assert spans == [(5, 9)]
    assert text.original[5:9] == "動力電池"
    assert text.find("abc") == [(10, 13)]


def test_ascii_terms_are_whole_words() -> None:
    text = NormalizedText("A network of nets; the net.")
    assert text.find("net") == [(23, 26)]


def test_highlights_occur_in_both_texts() -> None:
    query = NormalizedText("鋰電池熱失控預警")
    record = NormalizedText("一种锂电池热失控预警方法")
    found = highlights(query, record, ["锂电池", "预警", "不存在"])
    assert [h.term for h in found] == ["锂电池", "预警"]
    for h in found:
        for s, e in h.query_spans:
            assert normalize(query.original[s:e]) == h.term
        for s, e in h.record_spans:
            assert normalize(record.original[s:e]) == h.term


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("電池电池abc ＡＢ１2。，!?\n發发展")), max_size=40),
       st.text(alphabet=st.sampled_from(list("电池發展ab12")), min_size=1, max_size=3))
def test_every_reported_span_verifies(text: str, term: str) -> None:
    norm = NormalizedText(text)
    for s, e in norm.find(normalize(term)):
        assert normalize(text[s:e]) == normalize(term)


def test_sentences_split_on_chinese_and_western_punctuation() -> None:
    parts = sentences("第一句。第二句！Third one? 第四；fifth.")
    assert parts == ["第一句。", "第二句！", "Third one?", "第四；", "fifth."]


def test_a_decimal_point_or_a_dotted_name_does_not_end_a_sentence() -> None:
    parts = sentences("目前表达量仅1.5 g/L，达不到要求。Titre rose 48%. "
                      "See www.example.com now.技术.完成")
    assert parts == ["目前表达量仅1.5 g/L，达不到要求。", "Titre rose 48%.",
                     "See www.example.com now.", "技术.", "完成"]


def test_sentences_keep_the_ones_with_matched_terms_when_capped() -> None:
    text = "。".join(f"句子{i}" for i in range(20)) + "。电池很好。"
    kept = sentences(text, ["电池"])
    assert len(kept) == 8 and "电池很好。" in kept


def test_best_sentence_pair_by_tokens_points_at_the_shared_words() -> None:
    from techmatch.indexers.tokenize import Tokenizer
    from techmatch.matcher.explain import best_sentence_pairs

    tok = Tokenizer()
    query = "我们的注塑件经常翘曲变形。另外车间噪声很大。"
    records = ["本技术面向机床主轴。通过模流分析优化保压曲线，显著减小注塑件翘曲变形。",
               "与本需求无关的一句话。"]
    pairs = best_sentence_pairs(tok.tokens, query, records, [["注塑", "翘曲"], []])
    assert pairs[0] is not None
    q_sent, r_sent, sim = pairs[0]
    assert "翘曲" in q_sent and "翘曲" in r_sent and "机床" not in r_sent
    assert 0 < sim <= 1
    # nothing shared: no "closest pair" (staff read 最相近句对（0.00） of two unrelated sentences)
    assert pairs[1] is None


def test_best_sentence_pair_dense_mode_uses_the_encoder() -> None:
    from fakes import FakeEncoder

    from techmatch.indexers.tokenize import Tokenizer
    from techmatch.matcher.explain import best_sentence_pairs

    calls: list[int] = []

    class Counting(FakeEncoder):
        def encode_passages(self, texts):  # type: ignore[no-untyped-def]
            calls.append(len(texts))
            return super().encode_passages(texts)

    pairs = best_sentence_pairs(Tokenizer().tokens, "锂电池热失控。",
                                ["电池热失控预警。无关内容。"], [["热失控"]], encoder=Counting())
    assert calls == [2] and pairs[0] is not None and pairs[0][1] == "电池热失控预警。"


def test_fragments_of_a_longer_matched_term_are_not_listed() -> None:
    query = NormalizedText("半導體製程用深度学习检测")
    record = NormalizedText("用于半导体制程的深度学习方法，另有机器学习")
    terms = ["半导体", "半导", "导体", "深度学习", "深度", "学习", "制程"]
    found = [h.term for h in highlights(query, record, terms)]
    # 学习 stands alone in the record but never in the query: still only a fragment
    assert found == ["深度学习", "半导体", "制程"]


def test_a_shorter_term_that_also_stands_alone_on_both_sides_is_kept() -> None:
    query = NormalizedText("深度学习与强化学习")
    record = NormalizedText("深度学习和机器学习")
    found = {h.term: h for h in highlights(query, record, ["深度学习", "学习"])}
    assert set(found) == {"深度学习", "学习"}
    assert found["学习"].record_spans == [(2, 4), (7, 9)]


def test_a_signal_with_weight_zero_contributes_zero_not_minus_zero() -> None:
    """The API's JSON read "contribution": -0.0 for a negative value at weight 0 (dense_gap)."""
    [row] = contributions(["dense_gap"], [-0.02], [0.0])
    assert math.copysign(1.0, row.contribution) == 1.0


def test_percentages_are_not_matched_terms() -> None:
    """匹配词 read 30%、95% when two texts quoted the same figure by chance."""
    from techmatch.matcher.explain import _telling

    assert [t for t in ("30%", "95%", "1.5%", "5g", "cho", "3h", "锂电池") if _telling(t)] == [
        "5g", "cho", "3h", "锂电池"]


def test_english_link_words_and_units_are_not_matched_terms() -> None:
    """English records listed about、after、every、per、while、hours、years、mg、mm as 匹配词."""
    from techmatch.matcher.explain import _telling

    words = ("about", "after", "every", "per", "while", "hours", "years", "mg", "mm", "kg",
             "semiconductor", "rfid", "model", "oled")
    assert [w for w in words if _telling(w)] == ["semiconductor", "rfid", "model", "oled"]


def test_matched_terms_read_as_the_need_writes_them() -> None:
    """匹配词 / 共同词 read pcb、aoi、tmah and simplified 氢氧化铵 for a traditional need that
    wrote PCB、AOI、TMAH、氫氧化銨: the list showed the matching form, not the need's words."""
    query = NormalizedText("PCB的AOI檢測，ＴＭＡＨ")
    record = NormalizedText("pcb aoi 检测 tmah")
    found = highlights(query, record, ["pcb", "aoi", "检测", "tmah"])
    assert [(h.term, h.display) for h in found] == [
        ("tmah", "ＴＭＡＨ"), ("aoi", "AOI"), ("pcb", "PCB"), ("检测", "檢測")]


def test_english_function_words_are_not_matched_terms() -> None:
    """An English need (boehmite slurry coating for separators during lithium battery
    manufacturing) listed during among the 匹配词 of an English record that also said during:
    the tokenizer's stopwords drop only a few English words (a, the, of …)."""
    from techmatch.indexers.tokenize import Tokenizer
    from techmatch.matcher.explain import shared_terms

    tok = Tokenizer()
    need = "Boehmite slurry coating for separators during lithium battery manufacturing"
    record = ("A boehmite slurry is coated onto separators during lithium battery "
              "manufacturing, which improves heat resistance through a thin layer")
    shared = set(tok.tokens(need)) & set(tok.tokens(record))
    assert "during" in shared  # the tokenizer keeps it: the explanation must leave it out
    terms = shared_terms(tok.tokens(need), tok.tokens(record))
    assert "during" not in terms
    assert {"boehmite", "slurry", "separators", "lithium", "battery"} <= set(terms)
    words = ("during", "into", "which", "through", "between", "these", "could", "using",
             "however", "boehmite", "well", "coating")
    assert shared_terms(words, words) == ["boehmite", "coating", "well"]
