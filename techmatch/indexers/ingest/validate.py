"""Turn a raw row into a Need, Achievement or Expert, or into RowErrors naming the field."""

from __future__ import annotations

import json
import re
import types
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated, Literal, Union, get_args, get_origin

import pydantic
from pydantic_core import ErrorDetails

from techmatch.indexers.ingest.columns import (
    BEIR_TEXT_FIELD,
    BEIR_TITLE_FIELD,
    VALUE_ALIASES,
    map_keys,
    value_alias,
)
from techmatch.indexers.ingest.normalize import clean_display
from techmatch.models.records import (
    KIND_LABELS,
    LANGUAGE_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    Record,
    record_type,
)
from techmatch.models.validation_zh import message_zh

_TRL = re.compile(r"^(?:trl\s*)?(\d+)\s*级?$", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"[,，;；、|/\s]+")  # as the records split joined strings
# A spreadsheet date stored as a number (a General-formatted cell): days since 1899-12-30,
# up to 9999-12-31. Read as seconds since 1970 it would silently become a 1970 timestamp.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_MAX = 2_958_465
# Id fields are read NFKC: Ｎ００１ typed with a Chinese input method is N001, not a new record.
_ID_FIELDS = frozenset({"id", "owners", "works"})
_SERIAL = re.compile(r"^\d+(?:\.\d+)?$")
# Dates as staff write them: 2024/1/5 (Excel's display), 2024年1月5日, 2024.01.05, 20240105,
# with an optional time; ISO text is left to pydantic.
_LOCAL_DATE = re.compile(r"^(\d{4})(?:[/.年](\d{1,2})[/.月](\d{1,2})日?|(\d{2})(\d{2}))"
                         r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
DATE_MESSAGE = "应为日期，如 2024-01-05、2024/1/5 或 2024年1月5日"
# coded values → the words staff write (and the loader reads back)
_VALUE_LABELS: dict[str, str] = {**STATUS_LABELS, **TYPE_LABELS, **LANGUAGE_LABELS}


@dataclass(frozen=True)
class RowError:
    """One problem of one row: `field` is the record field (pydantic loc), None for the row."""

    file: str
    row: int
    field: str | None
    message: str

    def __str__(self) -> str:
        return self.text()

    def text(self) -> str:
        """The report line for staff (zh-CN)."""
        where = f"，字段 {self.field}" if self.field else ""
        return f"{self.file} 第 {self.row} 行{where}：{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "row": self.row, "field": self.field, "message": self.message}


def from_json(obj: dict[str, object], kind: str) -> tuple[dict[str, object], list[str]]:
    """Field values of a JSON object: our own record shape or a BEIR corpus line.

    BEIR: `_id` → id, `title` → title (name for experts), `text` → the kind's long text,
    `metadata` keys mapped like headers. Returns (fields, unknown keys).
    """
    if "_id" not in obj and not isinstance(obj.get("metadata"), dict):
        return map_keys(obj, kind)
    top = dict(obj)
    metadata = top.pop("metadata", None)
    renamed: dict[str, object] = {}
    for key, value in top.items():
        target = {"_id": "id", "title": BEIR_TITLE_FIELD[kind],
                  "text": BEIR_TEXT_FIELD[kind]}.get(key)
        renamed[target or key] = value
    fields, unknown = map_keys(renamed, kind)
    if isinstance(metadata, dict):
        extra, unknown_meta = map_keys(metadata, kind)
        for name, value in extra.items():
            fields.setdefault(name, value)
        unknown += [f"metadata.{key}" for key in unknown_meta]
    return fields, unknown


def validate_row(fields: dict[str, object], kind: str, *, file: str,
                 row: int) -> Record | list[RowError]:
    """A record from mapped field values, or every error of the row (never just the first)."""
    model = record_type(kind)
    fields = dict(fields)
    given_kind = _kind_code(fields.pop("kind", None))
    if given_kind not in (None, "", kind):
        given = KIND_LABELS.get(str(given_kind), str(given_kind))
        message = f"该行是{given}记录，应为{KIND_LABELS[kind]}记录"
        return [RowError(file, row, "kind", message)]
    shapes = _shapes(model)
    values = {name: _coerce(value, shapes.get(name, "other"), name)
              for name, value in fields.items()}
    values = {name: value for name, value in values.items() if value is not None}
    try:
        return model.model_validate(values)  # type: ignore[return-value]
    except pydantic.ValidationError as exc:
        return [_row_error(err, model, file, row) for err in exc.errors()]


def _kind_code(value: object) -> object:
    """'需求' / '成果' / '专家' or any case of need / achievement / expert → the kind code."""
    if not isinstance(value, str):
        return value
    text = clean_display(value)
    codes = {label: code for code, label in KIND_LABELS.items()}
    return codes.get(text, text.lower())


# -- coercion of what staff type into what the records expect --------------------------------
def _coerce(value: object, shape: str, name: str) -> object:
    if isinstance(value, str):
        value = clean_display(value)
        if name in _ID_FIELDS:
            value = unicodedata.normalize("NFKC", value).strip()
        if not value:
            return None
    if name in _ID_FIELDS and isinstance(value, list):
        value = [unicodedata.normalize("NFKC", v).strip() if isinstance(v, str) else v
                 for v in value]
    if shape == "list":
        items = _as_list(value)
        if name == "languages" and isinstance(items, list):
            aliases = VALUE_ALIASES["language"]
            return [aliases.get(v.lower(), v) if isinstance(v, str) else v for v in items]
        return items
    if isinstance(value, (int, float)) and not isinstance(value, bool) and shape == "str":
        return str(value)
    if shape == "datetime":
        return date_value(value)
    if isinstance(value, bool) and shape == "int":
        return str(value).lower()  # true is not 1: pydantic then names the field
    if not isinstance(value, str):
        return value
    if shape == "bool":
        found = value_alias("bool", value)
        return value if found is None else found
    if shape == "int":
        match = _TRL.match(value)
        return int(match.group(1)) if match else value
    if name in VALUE_ALIASES:
        found = value_alias(name, value)
        return value.lower() if found is None else found
    return value


def date_value(value: object) -> object:
    """A date as staff write it (see `_LOCAL_DATE`) or a spreadsheet serial → a datetime;
    anything else as is (pydantic judges ISO text; a bad day is a row error)."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    local = _LOCAL_DATE.match(text)
    if local is not None:
        year, month, day, month8, day8, hour, minute, second = local.groups()
        try:
            return datetime(int(year), int(month or month8), int(day or day8), int(hour or 0),
                            int(minute or 0), int(second or 0))
        except ValueError:
            return text if month else _excel_serial(value)  # 2024/13/45: a row error
    return _excel_serial(value)


def _excel_serial(value: object) -> object:
    """A number (or digits) in the spreadsheet-date range → that date; anything else as is."""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else (
        float(value) if isinstance(value, str) and _SERIAL.match(value) else None)
    if number is None or not 0 < number <= _EXCEL_MAX:
        return value
    return _EXCEL_EPOCH + timedelta(days=float(number))


def _as_list(value: object) -> object:
    """A JSON list written in a cell (`["a", "b"]`) or a joined string becomes a clean list."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            pass
    if isinstance(value, str):
        return [part for part in _LIST_SPLIT.split(value) if part]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        items = [clean_display(v) if isinstance(v, str) else
                 str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                 for v in value]
        return [v for v in items if v not in ("", None)]
    return value


def _shapes(model: type[pydantic.BaseModel]) -> dict[str, str]:
    """field name → bool | int | list | str | other, read from the model's annotations."""
    return {name: field_shape(info.annotation) for name, info in model.model_fields.items()}


def field_shape(annotation: object) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        return field_shape(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return field_shape(args[0]) if len(args) == 1 else "other"
    if origin is list:
        return "list"
    if origin is Literal or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        return "enum"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is datetime:
        return "datetime"
    return "str" if annotation is str else "other"


# -- readable messages -------------------------------------------------------------------------
def _row_error(err: ErrorDetails, model: type[pydantic.BaseModel], file: str,
               row: int) -> RowError:
    loc: tuple[int | str, ...] = tuple(err["loc"])
    text_fields = getattr(model, "TEXT_FIELDS", ())
    name = ".".join(str(part) for part in loc) if loc else "/".join(text_fields)
    return RowError(file, row, name, _message(err, model, loc))


def _message(err: ErrorDetails, model: type[pydantic.BaseModel],
             loc: tuple[int | str, ...]) -> str:
    """A row error in Chinese: pydantic's table (models/validation_zh.py), with what the loader
    says better for a sheet — the dates and yes/no it reads, a coded field's Chinese words,
    both bounds of a range — and what the cell held."""
    kind = err["type"]
    got = f"（收到 {_shown(err.get('input'))}）"
    if kind in ("missing", "extra_forbidden"):
        return "必填" if kind == "missing" else "不是该类记录的字段"
    if kind in ("value_error", "string_too_long", "too_long"):
        return message_zh(err)
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        text = _bounds(model, str(loc[0])) if loc else message_zh(err)
    elif kind.startswith(("datetime_", "date_")):
        text = DATE_MESSAGE
    elif kind == "bool_parsing":
        text = "应为是或否（是/否、true/false、1/0）"
    elif kind in ("enum", "literal_error"):
        codes = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        words = "、".join(dict.fromkeys(_VALUE_LABELS.get(c, c) for c in codes))
        return f"取值应为 {words} 之一（收到 {str(err.get('input'))[:40]}）"
    elif kind in ("int_parsing", "int_from_float"):
        text = "应为整数"
    else:
        text = message_zh(err)
    return text + got


def _bounds(model: type[pydantic.BaseModel], name: str) -> str:
    info = model.model_fields.get(name)
    low = high = None
    for item in info.metadata if info else ():
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    if low is not None and high is not None:
        return f"应在 {low} 到 {high} 之间"
    if low is not None:
        return f"应不小于 {low}"
    return f"应不大于 {high}" if high is not None else "超出范围"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
