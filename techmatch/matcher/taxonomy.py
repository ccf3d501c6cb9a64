"""Industry filters through the taxonomy: one place where an industry filter rolls down the tree.

A filter on 新一代信息技术产业 must find a need tagged 集成电路 (1.2.4 ⊂ 1.2 ⊂ 1), and one on
海洋工程装备产业 a need tagged with the old label 海洋工程. Indexes store the industry exactly as
the record gives it, so before a filter reaches an index its industry values are expanded
into every surface form (name, synonym, legacy label) of the named node and all nodes below
it. Values the taxonomy does not know pass through unchanged (plain equality, as before).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from techmatch.indexers.ingest.normalize import normalize
from techmatch.models.industries import Taxonomy, key, load_taxonomy
from techmatch.models.records import Need
from techmatch.models.results import Filters


@lru_cache(maxsize=4096)
def _expanded(values: tuple[str, ...]) -> tuple[str, ...]:
    tax = load_taxonomy()
    out = [form for v in values for form in tax.surface_forms_under(v)]
    return tuple(dict.fromkeys(out))


def expand_industries(values: Sequence[str]) -> list[str]:
    """Every industry value a record may carry to lie under one of `values`."""
    return list(_expanded(tuple(values)))


def expand_filters(filters: Filters | None) -> Filters | None:
    """`filters` with the industry facet rolled down the taxonomy (idempotent)."""
    if filters is None or not filters.industry:
        return filters
    return filters.model_copy(update={"industry": expand_industries(filters.industry)})


def industry_matches(value: str | None, wanted: str | None, *, text: str = "",
                     taxonomy: Taxonomy | None = None) -> bool:
    """Does a record tagged `value` (with `text`) belong to the industry `wanted`?

    True when `wanted` is None, when `value` lies in the subtree `wanted` names, or when
    `value` is a coarser ancestor of `wanted` (an old label such as 新一代信息技术) and `text`
    mentions one of the subtree's Chinese names or synonyms (集成电路, 芯片 …) — so a
    roadshow on 集成电路 still finds needs that were only tagged with the broad label.
    Unknown industries compare by their normalised text.
    """
    if wanted is None:
        return True
    if not value:
        return False
    tax = taxonomy or load_taxonomy()
    if tax.resolve(wanted) is None or tax.resolve(value) is None:
        return normalize(value) == normalize(wanted)
    if tax.covers(wanted, value):
        return True
    return bool(text) and tax.is_ancestor(value, wanted) and mentions(text, wanted, tax)


def headline(need: Need) -> str:
    """The words that may refine a broad industry tag: the title and keywords, not the
    description (a smart speaker's "low-cost chip" does not make it a chip need)."""
    return " ".join([need.title, *need.keywords])


def mentions(text: str, wanted: str, taxonomy: Taxonomy | None = None) -> bool:
    """True when `text` contains a Chinese form (≥ 2 characters) of `wanted` or below it."""
    tax = taxonomy or load_taxonomy()
    body = key(text)
    return any(len(k) >= 2 and not k.isascii() and k in body
               for k in (key(f) for f in tax.surface_forms_under(wanted)))


def industry_path(value: str | None) -> str | None:
    """'新一代信息技术产业 > 电子核心产业 > 集成电路制造' for a known industry, else None."""
    if not value:
        return None
    tax = load_taxonomy()
    return tax.path(value) if tax.resolve(value) else None
