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


__all__ = ["PHRASE_SPLIT", "QueryStyle", "list_style", "query_style"]
