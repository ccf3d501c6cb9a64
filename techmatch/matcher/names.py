"""Looking an expert up by name or organisation (staff typing 张伟 or 清华大学 in the search).

Names are not matching evidence: a need that happens to hold an expert's name or employer says
nothing about the expert's fit, so names live in the index's own `names` field
(`Index.search_names`) and only free-text searches (`MatchService.search`) read it; matching a
need never does. Such a search adds the experts whose name or organisation holds the query's
words to the candidates, and lists first those the query names whole — its text contains the
expert's full name or full organisation (清华大学 锂电池: the Tsinghua experts, ordered by the
ranking among them, then everyone else). A query holding only part of a name (清华) keeps them
as candidates without moving them up, so a topic word that is also part of an organisation
(化工 in 北京化工大学) does not reorder a topic search. `techmatch search` (retrieval only, no
ranker) lists the records the query names whole first in the same way (`named_first`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from techmatch.indexers.base import Candidates
from techmatch.indexers.ingest.normalize import normalize
from techmatch.models.records import Record
from techmatch.models.results import Component, Hit, Ranking

MIN_CHARS = 2  # a one-character name (王) is part of too many queries to count as named
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE = re.compile(r"\s+")


def _compact(text: str) -> str:
    return _SPACE.sub("", normalize(text))


def named_in(text: str, record: Record, tokens: Callable[[str], frozenset[str]]) -> bool:
    """True when `text` holds one of the record's names whole: the full name or organisation,
    normalised and without spaces, occurs in it (a name in Latin letters also as whole words:
    Li is not named by "lithium")."""
    query = _compact(text)
    for value in record.names():
        name = _compact(value)
        if len(name) < MIN_CHARS or name not in query:
            continue
        if _CJK.search(name) or tokens(value) <= tokens(text):
            return True
    return False


def named_ids(text: str, records: Iterable[Record],
              tokens: Callable[[str], frozenset[str]]) -> frozenset[str]:
    """Ids of the records `text` names whole (`named_in`)."""
    return frozenset(r.id for r in records if named_in(text, r, tokens))


def named_first(ranking: Ranking, text: str, named: Candidates, records: Mapping[str, Record],
                tokens: Callable[[str], frozenset[str]], k: int) -> Ranking:
    """`ranking` (a retrieval answer) with the records `text` names whole first, in the order
    of the name search `named`; one retrieval missed joins with empty components, score 0.
    At most `k` hits, ranks renumbered."""
    whole = [rid for rid in named.ids if rid in records and named_in(text, records[rid], tokens)]
    if not whole:
        return ranking
    have = {h.id: h for h in ranking.hits}
    front = [have.get(rid) or Hit(id=rid, kind=ranking.kind, score=0.0, rank=1,
                                  lexical=Component(), dense=Component()) for rid in whole]
    rest = [h for h in ranking.hits if h.id not in set(whole)]
    hits = [h.model_copy(update={"rank": rank}) for rank, h in enumerate([*front, *rest][:k], 1)]
    return ranking.model_copy(update={"hits": hits})
