"""Request models whose numbers are numbers: `true` is never read as 1 (pydantic's lax mode)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, model_validator


def _kinds(annotation: Any) -> set[type]:
    """The plain types an annotation mentions (through Optional, Annotated, list, dict …)."""
    if isinstance(annotation, type):
        return {annotation}
    out: set[type] = set()
    for arg in typing.get_args(annotation):
        out |= _kinds(arg)
    return out


def _numeric(annotation: Any) -> bool:
    kinds = _kinds(annotation)
    return bool(kinds & {int, float}) and bool not in kinds


def _has_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_bool(v) for v in value)
    if isinstance(value, dict):
        return any(_has_bool(v) for v in value.values())
    return False


class NumbersNotBooleans(BaseModel):
    """Base of request models: a boolean where a number (or numbers) is expected is refused,
    naming the field, before pydantic would coerce it."""

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, info in cls.model_fields.items():
            key = info.alias or name
            value = data.get(key, data.get(name))
            if value is not None and _numeric(info.annotation) and _has_bool(value):
                raise ValueError(f"字段 {key!r} 应为数字，不能是 true/false")
        return data
