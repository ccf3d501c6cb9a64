"""Topics of unmatched demand: keyword counts over needs without a confident match, and the
topics rising between two batch runs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import Need

_NUMERIC = re.compile(r"^[\d.%\-+]+[a-zA-Z]{0,3}$")
MIN_LENGTH = 2


@dataclass(frozen=True)
class Topic:
    """A keyword of unmatched demand: needs mentioning it now, before, and the change."""

    keyword: str
    count: int
    previous: int
    delta: int


def need_keywords(need: Need, tokenizer: Tokenizer) -> set[str]:
    """The need's keywords (normalised) and the tokens of its title, numbers left out.

    A set: every need counts once per keyword, however often it repeats a term. A word
    inside a longer one of the same need (search-mode 发生 in 发生器, flue in flue gas) is
    dropped, so one concept is counted once.
    """
    words = {normalize(k) for k in need.keywords}
    words.update(tokenizer.tokens(need.title))
    words = {w for w in words if len(w) >= MIN_LENGTH and not _NUMERIC.match(w)}
    return {w for w in words if not any(w != other and w in other for other in words)}


def keyword_counts(needs: Iterable[Need], tokenizer: Tokenizer) -> dict[str, int]:
    """keyword → number of `needs` mentioning it."""
    counts: Counter[str] = Counter()
    for need in needs:
        counts.update(need_keywords(need, tokenizer))
    return dict(counts)


def top_keywords(counts: Mapping[str, int], n: int = 20) -> list[tuple[str, int]]:
    """The `n` most frequent keywords, ties broken by keyword."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def rising(current: Mapping[str, int], previous: Mapping[str, int] | None,
           n: int = 10) -> list[Topic]:
    """Keywords whose unmatched count grew since the previous run, largest growth first.

    Without a previous snapshot there is nothing to compare with: the list is empty.
    """
    if previous is None:
        return []
    grown = [Topic(kw, c, previous.get(kw, 0), c - previous.get(kw, 0))
             for kw, c in current.items() if c > previous.get(kw, 0)]
    grown.sort(key=lambda t: (-t.delta, -t.count, t.keyword))
    return grown[:n]
