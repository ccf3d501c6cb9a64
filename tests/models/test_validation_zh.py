"""The pydantic error table (techmatch/models/validation_zh.py): every mapped type reads in
Chinese, real pydantic errors of the common kinds come out as staff should read them, and a
type the table does not know still names the field."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

import pydantic
import pytest
from pydantic import BaseModel, ConfigDict, Field

from techmatch.models.validation_zh import MESSAGES, json_reason_zh, message_zh

_CJK = re.compile(r"[\u4e00-\u9fff]")
# English a Chinese message may keep: codes and formats staff type themselves
_ALLOWED = {"JSON", "null", "true", "false", "ASCII", "UUID", "Unicode", "T08"}
_CTX = {"min_length": 2, "max_length": 5, "gt": 0, "ge": 1, "lt": 9, "le": 8, "multiple_of": 3,
        "expected": "'a', 'b' or 'c'", "pattern": r"^[\w\-]+$", "error": "Expecting value",
        "max_digits": 4, "decimal_places": 2, "whole_digits": 2, "tz_expected": 28800,
        "expected_schemes": "'https'", "expected_version": 4, "tag": "x",
        "expected_tags": "'a', 'b'", "discriminator": "'kind'"}


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_mapped_type_reads_in_chinese(kind: str) -> None:
    msg = "Value error, 结束日期早于开始日期" if kind == "value_error" else (
        "Assertion failed, 数量应为正数" if kind == "assertion_error" else "English text")
    text = message_zh({"type": kind, "loc": ("body", "x"), "msg": msg, "ctx": _CTX})
    assert _CJK.search(text), (kind, text)
    quoted_codes_dropped = re.sub(r"'[^']*'", "", text)  # field names and valid codes
    english = set(re.findall(r"[A-Za-z]{3,}", quoted_codes_dropped)) - _ALLOWED
    assert not english, (kind, text)
    assert "?" not in text, (kind, text)  # every placeholder the template reads was given


def test_an_unknown_type_names_the_field_and_keeps_its_code() -> None:
    text = message_zh({"type": "brand_new_check", "loc": ("body", "need", "title"),
                       "msg": "Something new went wrong"})
    assert text == "body.need.title 的取值无效（brand_new_check）"
    assert message_zh({"type": "brand_new_check", "loc": ("q",)}, "query.q") == \
        "query.q 的取值无效（brand_new_check）"


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int
    name: Annotated[str, Field(min_length=2, max_length=4, pattern=r"^[\w.\-:/]+$")] = "ab"
    kind: Literal["need", "expert"] = "need"
    tags: Annotated[list[str], Field(max_length=2)] = []
    score: Annotated[float, Field(ge=0, le=1)] = 0.5
    day: date | None = None


def _errors(data: dict[str, object]) -> dict[str, tuple[str, str]]:
    with pytest.raises(pydantic.ValidationError) as caught:
        _Form.model_validate(data)
    return {".".join(map(str, e["loc"])): (e["type"], message_zh(dict(e)))
            for e in caught.value.errors()}


def test_real_pydantic_errors_read_as_staff_should_read_them() -> None:
    said = _errors({"count": "many", "name": "a b c d e", "kind": "widget",
                    "tags": ["x", "y", "z"], "score": 2, "day": "2024-13-45", "colour": 1})
    assert said == {
        "count": ("int_parsing", "应为整数"),
        "name": ("string_too_long", "过长：最多 4 个字符"),
        "kind": ("literal_error", "取值应为 'need'、'expert' 之一"),
        "tags": ("too_long", "过多：最多 2 项"),
        "score": ("less_than_equal", "应不大于 1"),
        "day": ("date_from_datetime_parsing", "应为日期，如 2024-01-05"),
        "colour": ("extra_forbidden", "不是可接受的字段（字段名拼写有误？）")}
    assert _errors({}) == {"count": ("missing", "必填")}
    assert _errors({"count": 1, "name": "a"})["name"] == ("string_too_short",
                                                         "过短：至少 2 个字符")
    assert _errors({"count": 1, "name": "a b"})["name"] == (
        "string_pattern_mismatch", "只能包含字母、数字、下划线、点、短横线、冒号或斜杠")
    assert _errors({"count": 1.5})["count"] == ("int_from_float", "应为整数，不能有小数部分")


def test_json_reasons_read_in_chinese() -> None:
    assert json_reason_zh("Expecting ',' delimiter") == "此处缺少逗号"
    assert json_reason_zh("Expecting property name enclosed in double quotes") == \
        "字段名应使用双引号"
    assert json_reason_zh("Something new") == "格式错误"
