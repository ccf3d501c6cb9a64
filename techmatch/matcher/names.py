"""When a search's text names a record: the one rule the API, the CLI and the console use.

Staff look records up by name — an expert's name or organisation, an achievement's institution,
a need's enterprise (`Record.NAME_FIELDS`). Names are not matching evidence: a need that
happens to hold an expert's name or employer says nothing about the expert's fit, so names
live in the index's own `names` field (`Index.search_names`) and only free-text searches read
it (`MatchService.search`: the API and `techmatch search`; the console's search box);
matching a need never does. Such a search adds the records whose names hold the query's
words or start with it to the candidates, and lists first those the text names:

- whole: the text holds one of the record's names in full (normalised, spaces ignored; a name
  in Latin letters as whole words — Li is not named by "lithium"): 蒋伟, 清华大学 锂电池,
  苏州大学陈明, "MIT battery". A name of one character (王) names nothing.
- a person's name with an alias in brackets is three names: 王海伦（Helen Wang） is named by
  王海伦 and by Helen Wang (`Record.name_values`); an organisation's brackets are no alias.
- by its start: the whole text is the start of a name, long enough to be clear — 2 characters
  of a person's name (蒋伟 → 蒋伟民: surname and the start of the given name, 李明 → 李明远),
  4 of an organisation's (中国科学院 → 中国科学院物理研究所, 苏州精传 → 苏州精传智能装备有限公司),
  and in Latin letters whole words only (Michael → Michael Harris; Mich names nothing).

So a fragment names nothing: 苏州 or 浙江 (a place that starts half the organisations), 清华,
and a topic word inside a name (化工 in 北京化工大学, 新材料 in 苏州纳锂新材料科技) keep such
records as candidates without moving them up or marking them. Records named whole come before
those named by a start, each group by the query's similarity to them (`Scored.order`: the same
order whatever k).

A text that is a record's id (`id_key`: trimmed, full-width folded as ingest reads ids —
Ｎ０１６ is N016 — and in any case, in every script: n016, énergie-1) names it before all of
these (编号一致): the console's search box and `MatchService.search` both read `id_key`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

from techmatch.indexers.base import compact_name
from techmatch.indexers.ingest.normalize import normalize
from techmatch.models.ids import id_key
from techmatch.models.records import Record

Naming = Literal["id", "whole", "start"]
ID: Naming = "id"  # the whole text is the record's id (`id_key`)
WHOLE: Naming = "whole"
START: Naming = "start"
MIN_CHARS = 2  # a one-character name (王) is part of too many texts to count as named
PERSON_START = 2  # 蒋伟 names 蒋伟民: surname + the start of the given name
ORGANISATION_START = 4  # 苏州精传, 中国科学院; not 苏州, 浙江, 清华 (a place, a fragment)
PERSON_FIELDS = frozenset({"name"})  # NAME_FIELDS holding a person's name; others: organisations
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = r"[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # a letter or digit, not Chinese
_IS_LATIN = re.compile(_LATIN)


class Name(NamedTuple):
    """One name of a record, prepared once for comparing with many texts."""

    compact: str  # normalised, without spaces (`compact_name`)
    words: str  # normalised, single spaces (where a Latin name's words end)
    start: int  # the fewest characters of `compact` that name it by its start


class Text(NamedTuple):
    """A search's text, prepared once for comparing with many names."""

    compact: str
    words: str


def typed_ids(text: str, ids: Iterable[str]) -> list[str]:
    """The ids among `ids` that the whole `text` is: the same key on both sides (`id_key`,
    models.records; the store looks stored ids up by it: `Store.ids_by_key`)."""
    wanted = id_key(text)
    return [rid for rid in ids if id_key(rid) == wanted]


def names_of(record: Record) -> tuple[Name, ...]:
    """The record's names (`Record.NAME_FIELDS`, a person's aliases in brackets each a name
    of its own: `Record.name_values`), prepared."""
    return _prepared(record.name_values())


@functools.lru_cache(maxsize=65_536)
def _prepared(values: tuple[tuple[str, str], ...]) -> tuple[Name, ...]:
    """(field, name) pairs prepared, once per distinct names: a search reads the names of up
    to 100 records, mostly the same institutions and people again (normalising them was most
    of its naming cost)."""
    return tuple(Name(compact_name(value), _words(value),
                      PERSON_START if field in PERSON_FIELDS else ORGANISATION_START)
                 for field, value in values)


def text_of(text: str) -> Text:
    return Text(compact_name(text), _words(text))


def naming(text: Text, names: Sequence[Name]) -> Naming | None:
    """How `text` names a record with these names: WHOLE, START, or None (module doc)."""
    found: Naming | None = None
    for name in names:
        if len(name.compact) < MIN_CHARS:
            continue
        if name.compact in text.compact:
            if _CJK.search(name.compact) or _holds_words(text.words, name.words):
                return WHOLE
        elif (found is None and len(text.compact) >= name.start
              and name.compact.startswith(text.compact)
              and _ends_clean(name.words, len(text.compact))):
            found = START
    return found


def named_in(text: str, record: Record) -> bool:
    """True when `text` names `record`, whole or by a clear start."""
    return naming(text_of(text), names_of(record)) is not None


def named_ids(text: str, records: Iterable[Record]) -> dict[str, Naming]:
    """The records `text` names, each with how (`naming`)."""
    typed = text_of(text)
    out = {}
    for record in records:
        how = naming(typed, names_of(record))
        if how is not None:
            out[record.id] = how
    return out


def _words(text: str) -> str:
    return " ".join(normalize(text).split())


def _holds_words(text: str, name: str) -> bool:
    """True when `name` occurs in `text` as whole words (no letter or digit either side)."""
    return re.search(f"(?<!{_LATIN}){re.escape(name)}(?!{_LATIN})", text) is not None


def _ends_clean(words: str, chars: int) -> bool:
    """True when the first `chars` non-space characters of `words` end a Chinese character
    or a whole Latin word (Michael of Michael Harris, not Mich)."""
    seen = 0
    for i, ch in enumerate(words):
        if ch == " ":
            continue
        seen += 1
        if seen == chars:
            after = words[i + 1] if i + 1 < len(words) else " "
            return not (_IS_LATIN.match(ch) and _IS_LATIN.match(after))
    return False
