"""Ingest hook: map free-text industries onto the taxonomy and report, by row, what stays unmapped.

An industry that names a node exactly (name, synonym, old platform label, code) is kept as
written: filters and statistics resolve it through the taxonomy. One that only contains a
synonym (高端芯片封装 → 集成电路) is rewritten to the node's name, so filters find it. One the
taxonomy cannot place is kept as written and reported as a note naming file, row and value.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from techmatch.indexers.ingest.validate import RowError
from techmatch.models.industries import Mapping, load_taxonomy

R = TypeVar("R", bound=BaseModel)


def map_industries(record: R, *, file: str, row: int) -> tuple[R, list[RowError]]:
    """(record with contained synonyms rewritten, notes for rewritten and unmapped values).
    A record's industries are its `industries` list (experts, programme teams) or its
    `industry` (needs, achievements, programme events …); a model with neither is as is."""
    name = "industries" if "industries" in type(record).model_fields else "industry"
    value = getattr(record, name, None)
    if not value:
        return record, []
    tax = load_taxonomy()
    items = value if isinstance(value, list) else [value]
    notes: list[RowError] = []
    mapped: list[str] = []
    for item in items:
        parts = tax.map_values(item)
        rewrite = len(parts) == 1 and parts[0].how == "contained"
        mapped.append(parts[0].name or item if rewrite else item)
        notes += [_note(m, file, row, name) for m in parts
                  if m.how == "unmapped" or (rewrite and m.how == "contained")]
    new = mapped if isinstance(value, list) else mapped[0]
    if new != value:
        record = record.model_copy(update={name: new})
    return record, notes


def _note(m: Mapping, file: str, row: int, field: str) -> RowError:
    if m.code is None:
        text = f"行业“{m.text}”不在战略性新兴产业分类中，按原文保存"
    else:
        text = f"行业“{m.text}”映射为“{m.name}”（{m.code}）"
    return RowError(file, row, field, text)
