"""Filters of search and ad-hoc match, checked against the kind searched.

Every backend indexes exactly a record's `facets()`; a filter on a facet the kind does not
have (status on achievements), a code no record holds (status `opened`) or a blank value
matched nothing and answered 200 with no hits, which a client reads as "nothing relevant".
Such a filter is a 422 naming `body.filters.<name>` and the valid names or codes instead.
"""

from __future__ import annotations

from typing import get_args

from techmatch.errors import ValidationError
from techmatch.models.records import (
    KIND_LABELS,
    RECORD_TYPES,
    Achievement,
    AchievementType,
    NeedStatus,
)
from techmatch.models.results import Filters

CODED_FILTERS: dict[str, tuple[str, ...]] = {  # filters whose values are stable codes
    "status": tuple(s.value for s in NeedStatus),
    "type": tuple(t.value for t in AchievementType),
    "language": get_args(Achievement.model_fields["language"].annotation),
}
# the facets each kind's records carry (model_construct: the defaults, no validation)
SEARCH_FACETS: dict[str, tuple[str, ...]] = {
    kind: tuple(cls.model_construct().facets()) for kind, cls in RECORD_TYPES.items()}
# kinds whose value of a facet is a code (an expert's language is free text)
_CODED_KINDS: dict[str, tuple[str, ...]] = {"status": ("need",), "type": ("achievement",),
                                            "language": ("achievement",)}


def check_filters(kind: str, filters: Filters | None, field: str = "body.filters") -> None:
    """Raise ValidationError naming `field.<name>` for a filter `kind` cannot match."""
    if filters is None:
        return
    valid = SEARCH_FACETS[kind]
    for name, values in filters.facet_items():
        if name not in valid:
            raise ValidationError(f"{KIND_LABELS.get(kind, kind)}记录没有筛选条件 {name}；可用："
                                  f"{', '.join(valid)}",
                                  field=f"{field}.{name}")
        blank = next((i for i, v in enumerate(values) if not v.strip()), None)
        if blank is not None:  # no record's facet is blank: it matched nothing
            raise ValidationError("空白的取值匹配不到任何记录",
                                  field=f"{field}.{name}.{blank}")
        codes = CODED_FILTERS.get(name) if kind in _CODED_KINDS.get(name, ()) else None
        unknown = [v for v in values if codes is not None and v.strip().lower() not in codes]
        if codes is not None and unknown:
            raise ValidationError(f"{name} 没有取值 '{unknown[0]}'；可选：{', '.join(codes)}",
                                  field=f"{field}.{name}")
