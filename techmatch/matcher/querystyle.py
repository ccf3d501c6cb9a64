"""The query's style, read from its text alone: a keyword list or a statement.

Keyword needs ("修正Rodrigues参数模型、平方和优化、大角度机动") and titles or problem statements
("一种基于平方和优化的飞行器大角度机动镇定控制器设计方法") are answered by different evidence: for a
keyword list, a record of the same field as the best hits that carries the query's phrases
verbatim also fits (grade 1 of the keyword sets is "same discipline, sharing a keyword"); for
a statement, the one record it describes does. `list_style` measures how much a query is a
keyword list, in [0, 1]; the ranker multiplies the list-evidence features by it
(techmatch.matcher.prf, `STYLED_FEATURES`), so one model fitted on a mixture of styles weighs
that evidence for lists and not for statements, and a style it never saw (gate mass below
`MIN_STYLE_QUERIES` in its training data, techmatch.matcher.train) leaves the styled weights 0.

`patent_style` measures how much a statement reads as patent language ("一种…的制备方法",
"…方法及装置", claim wording), in [0, 1]: patent abstracts restate their title's phrases, so
for such a query the list's phrase evidence (techmatch.matcher.prf.phrase_bm25) enters the
weighted hybrid with that gate (techmatch.matcher.features.fill_hybrid); paper titles, keyword
lists and requests ("我们需要一种…") read 0 and pay nothing for it (docs/evaluation.md,
"Ninth round").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

PHRASE_SPLIT = re.compile(r"[、,，;；]+")
SHORT_PHRASE = 8  # characters: a keyword, not a clause
FULL_LIST_PHRASES = 3  # this many phrases (or more) make a full list


@dataclass(frozen=True)
class QueryStyle:
    """Descriptors of a query text: its phrases (lower-cased, stripped) and derived shares."""

    phrases: tuple[str, ...]
    length: int

    @property
    def short_share(self) -> float:
        """Share of the phrases that are at most SHORT_PHRASE characters long."""
        if not self.phrases:
            return 0.0
        return sum(len(p) <= SHORT_PHRASE for p in self.phrases) / len(self.phrases)

    @property
    def mean_phrase_length(self) -> float:
        return sum(map(len, self.phrases)) / len(self.phrases) if self.phrases else 0.0

    @property
    def list_style(self) -> float:
        """0 for one phrase; else min(1, (phrases − 1) / 2) × the share of short phrases: 1 for
        three or more keywords, 0.5 for two short ones, small for a title with one comma."""
        n = len(self.phrases)
        if n < 2:
            return 0.0
        return min(1.0, (n - 1) / (FULL_LIST_PHRASES - 1)) * self.short_share


@lru_cache(maxsize=4096)
def query_style(text: str) -> QueryStyle:
    phrases = tuple(p for p in (s.strip().lower() for s in PHRASE_SPLIT.split(text or "")) if p)
    return QueryStyle(phrases=phrases, length=len((text or "").strip()))


def list_style(text: str) -> float:
    return query_style(text).list_style


# --- patent language (Chinese patent-title conventions; fixed a priori, nothing fitted) ------
# claim / specification wording in a title-like text ("权利要求书…一种…")
CLAIM_WORDING = re.compile(r"本发明|本实用新型|其特征在于|权利要求")
# a request or a first-person need is not patent language, whatever noun it ends with
REQUEST = re.compile(r"我|本公司|公司|需要|需求|希望|寻求|求购|征集|急需|想要"
                     r"|如何|怎样|怎么|能否|是否|[?？]")
SENTENCE = re.compile(r"[。！!；;…]")  # a title is one clause
MAX_TITLE = 60  # characters
# claim categories joined ("方法及装置", "及其制备方法"); an enumeration of them ("…方法、装置、
# 设备及存储介质") ends with a conjunction and a claim head, which a keyword list does not
CONJOINED = re.compile(r"(方法|装置|系统|设备|介质|终端|组合物|工艺|器)(及|和|与|以及|或)"
                       r"|及其(制备|制作|生产|加工|合成|应用|用途|使用|控制|检测|操作)")
ENUMERATION_END = re.compile(r"(及|和|与|以及)[^、，,;；]*(方法|装置|系统|设备|介质|终端|组合物"
                             r"|工艺|器|机|组件)$")
# a method claim's title: "…的方法", "…的制备方法"
METHOD_CLAIM = re.compile(r"(的|制备|生产|制造|合成|加工|施工|铸造|制作)方法$")
CLAIM_HEAD = re.compile(r"(方法|装置|系统|设备|组合物|用途|应用|工艺|介质|终端)$")
OBJECT_HEAD = re.compile(r"(装置|设备|组合物|用途|介质|终端|机构|组件|总成|器具|仪|器|机"
                         r"|方法|工艺)$")
# how paper titles end ("…研究", "…的设计与实现", "…算法"): not a claim's subject
PAPER_END = re.compile(r"(研究|分析|探讨|探析|初探|综述|进展|实现|研制|仿真|模拟|算法|模型"
                       r"|机制|评价|思考|对策|启示|影响|观察|比较|试验|实验|表征|性能|作用|问题"
                       r"|现状|策略|设计|计算|验证|识别|预测|优化|控制|测定|调查|概述|——.*|--.*)$")


@lru_cache(maxsize=4096)
def patent_style(text: str) -> float:
    """How much a query reads as patent language, in [0, 1]: 0 for a request, more than one
    sentence or more than MAX_TITLE characters (only title-like texts were measured: a
    record's text as a query, a patent's abstract too, reads 0); else 1 for claim wording,
    joined claim categories, a method-claim title or "一种…" ending in a claim head; 0.5 for
    "一种…" otherwise or a bare product / method head; 0 for a paper-style ending. A list's
    share (1 − list_style) scales it, except for an enumeration of claim categories (its 、
    are not a keyword list)."""
    t = (text or "").strip()
    if not t or REQUEST.search(t) or SENTENCE.search(t) or len(t) > MAX_TITLE:
        return 0.0  # a record's whole text (a patent's abstract too) is not a title
    if CLAIM_WORDING.search(t):
        return 1.0
    if len(query_style(t).phrases) > 1:  # a list, unless it enumerates claim categories
        if ENUMERATION_END.search(t):
            return 1.0
    elif CONJOINED.search(t):
        return 1.0
    if PAPER_END.search(t):
        return 0.0
    if METHOD_CLAIM.search(t) or (t.startswith("一种") and CLAIM_HEAD.search(t)):
        g = 1.0
    elif t.startswith("一种") or OBJECT_HEAD.search(t):
        g = 0.5
    else:
        return 0.0
    return g * (1.0 - list_style(t))


__all__ = ["PHRASE_SPLIT", "QueryStyle", "list_style", "patent_style", "query_style"]
