"""Pydantic's validation errors in Chinese: one table for the API's 422 answers, the console's
forms and the loaders, so staff never read pydantic's English ("Field required", "Input should
be a valid integer"). The error's `type` stays the stable English code beside the text."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Ctx = Mapping[str, Any]

_OBJECT = "应为对象（JSON 对象）"
_ARRAY = "应为数组（列表）"
_NUMBER = "应为数字"
_INTEGER = "应为整数"
_DATE = "应为日期，如 2024-01-05"
_DATETIME = "应为日期或日期时间，如 2024-01-05 或 2024-01-05T08:30:00"
_URL = "应为有效的网址"

# characters a `^[...]+$` pattern allows, in the words staff know
_CLASS_WORDS: tuple[tuple[str, str], ...] = (
    (r"\w", "字母、数字、下划线"), ("A-Za-z0-9", "字母、数字"), ("a-zA-Z0-9", "字母、数字"),
    ("0-9a-f", "十六进制数字"), ("0-9", "数字"), (".", "点"), (r"\-", "短横线"), ("-", "短横线"),
    (":", "冒号"), ("/", "斜杠"), ("_", "下划线"))
_SIMPLE_CLASS = re.compile(r"^\^?\[([^\]]+)\][+*]\$?$")


def _listing(expected: object) -> str:
    """pydantic's "'open', 'matched' or 'closed'" → "'open'、'matched'、'closed'"."""
    return re.sub(r",\s*|\s+or\s+", "、", str(expected))


def _pattern(ctx: Ctx) -> str:
    pattern = str(ctx.get("pattern", ""))
    m = _SIMPLE_CLASS.match(pattern)
    if m:
        rest, words = m.group(1), []
        for token, word in _CLASS_WORDS:
            if token in rest:
                rest = rest.replace(token, "", 1)
                words += [w for w in word.split("、") if w not in words]
        if not rest:
            *head, last = words
            return "只能包含" + ("、".join(head) + "或" if head else "") + last
    return f"格式不符合要求（应匹配 {pattern}）"


# Python's json decoder (what FastAPI parses a body with) says where and why parsing stopped
_JSON_REASONS: tuple[tuple[str, str], ...] = (
    ("Expecting value", "此处缺少值"), ("Expecting ',' delimiter", "此处缺少逗号"),
    ("Expecting ':' delimiter", "此处缺少冒号"),
    ("Expecting property name enclosed in double quotes", "字段名应使用双引号"),
    ("Unterminated string", "字符串没有结束引号"),
    ("Invalid control character", "字符串中有控制字符"),
    ("Extra data", "JSON 结束后还有多余内容"), ("Invalid \\escape", "无效的转义字符"),
    ("Invalid \\uXXXX escape", "无效的 \\u 转义"))


def json_reason_zh(reason: str) -> str:
    """A json decoder reason ('Expecting value', …) in Chinese; an unknown one as a generic
    reason (the character offset is given beside it)."""
    return next((zh for en, zh in _JSON_REASONS if reason.startswith(en)), "格式错误")


# Python's text decoders say why a byte is refused
_DECODE_REASONS = {"invalid start byte": "无效的起始字节",
                   "invalid continuation byte": "无效的后续字节",
                   "unexpected end of data": "数据意外结束",
                   "illegal multibyte sequence": "非法的多字节序列",
                   "illegal encoding": "非法编码", "truncated data": "数据被截断",
                   "illegal UTF-16 surrogate": "非法的 UTF-16 代理码位"}


def decode_reason_zh(reason: str) -> str:
    """A UnicodeDecodeError's reason ('invalid start byte', …) in Chinese."""
    return _DECODE_REASONS.get(reason, "编码错误")


_JSON_TYPES = {"list": "数组", "dict": "对象", "str": "字符串", "int": "数字", "float": "数字",
               "bool": "布尔值", "NoneType": "null"}


def json_type_zh(value: object) -> str:
    """What a parsed JSON value is, in Chinese (数组, 对象, 字符串 …)."""
    return _JSON_TYPES.get(type(value).__name__, type(value).__name__)


def _stripped(prefix: str) -> Callable[[Ctx, str], str]:
    """A validator's own message (raised in Chinese), without pydantic's English prefix."""
    return lambda _ctx, msg: msg.removeprefix(prefix)


Template = str | Callable[[Ctx, str], str]

# pydantic error type → Chinese; `{name}` placeholders read the error's ctx.
MESSAGES: dict[str, Template] = {
    "missing": "必填", "missing_argument": "必填", "missing_keyword_only_argument": "必填",
    "missing_positional_only_argument": "必填",
    "extra_forbidden": "不是可接受的字段（字段名拼写有误？）",
    "unexpected_keyword_argument": "不是可接受的参数",
    "unexpected_positional_argument": "多余的参数", "multiple_argument_values": "参数重复给出",
    "json_invalid": lambda ctx, _msg: "不是有效的 JSON" + (
        f"：{json_reason_zh(str(ctx['error']))}" if ctx.get("error") else ""),
    "json_type": "应为 JSON 文本",
    "none_required": "应为空（null）",
    "bool_type": "应为布尔值（true 或 false）", "bool_parsing": "应为布尔值（true 或 false）",
    "int_type": _INTEGER, "int_parsing": _INTEGER, "int_parsing_size": "整数超出可接受范围",
    "int_from_float": "应为整数，不能有小数部分",
    "float_type": _NUMBER, "float_parsing": _NUMBER, "finite_number": "应为有限的数字",
    "decimal_type": _NUMBER, "decimal_parsing": _NUMBER,
    "decimal_max_digits": "数字位数过多：最多 {max_digits} 位",
    "decimal_max_places": "小数位数过多：最多 {decimal_places} 位",
    "decimal_whole_digits": "整数部分位数过多：最多 {whole_digits} 位",
    "string_type": "应为字符串", "string_unicode": "应为有效的 Unicode 字符串",
    "string_not_ascii": "只能包含 ASCII 字符",
    "string_too_short": "过短：至少 {min_length} 个字符",
    "string_too_long": "过长：最多 {max_length} 个字符",
    "string_pattern_mismatch": lambda ctx, _msg: _pattern(ctx),
    "bytes_type": "应为字节串", "bytes_too_short": "过短：至少 {min_length} 个字节",
    "bytes_too_long": "过长：最多 {max_length} 个字节", "bytes_invalid_encoding": "编码无效",
    "too_short": "过少：至少 {min_length} 项", "too_long": "过多：最多 {max_length} 项",
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}", "less_than_equal": "应不大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "literal_error": lambda ctx, _msg: f"取值应为 {_listing(ctx.get('expected', ''))} 之一",
    "enum": lambda ctx, _msg: f"取值应为 {_listing(ctx.get('expected', ''))} 之一",
    "dict_type": _OBJECT, "model_type": _OBJECT, "model_attributes_type": _OBJECT,
    "mapping_type": _OBJECT, "dataclass_type": _OBJECT, "invalid_key": "对象的键无效",
    "list_type": _ARRAY, "tuple_type": _ARRAY, "set_type": _ARRAY, "frozen_set_type": _ARRAY,
    "iterable_type": _ARRAY, "set_item_not_hashable": "数组元素不能是对象或数组",
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "应为日期，不能带时刻", "date_past": "应为过去的日期",
    "date_future": "应为将来的日期",
    "datetime_type": _DATETIME, "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME, "datetime_object_invalid": _DATETIME,
    "datetime_past": "应为过去的时间", "datetime_future": "应为将来的时间",
    "time_type": "应为时刻，如 08:30", "time_parsing": "应为时刻，如 08:30",
    "time_delta_type": "应为时长", "time_delta_parsing": "应为时长",
    "timezone_naive": "不能带时区", "timezone_aware": "应带时区",
    "timezone_offset": "时区偏移应为 {tz_expected}",
    "url_type": _URL, "url_parsing": _URL, "url_syntax_violation": _URL,
    "url_too_long": "网址过长：最多 {max_length} 个字符",
    "url_scheme": "网址协议应为 {expected_schemes} 之一",
    "uuid_type": "应为 UUID", "uuid_parsing": "应为 UUID",
    "uuid_version": "应为第 {expected_version} 版 UUID",
    "union_tag_invalid": lambda ctx, _msg: (f"类型标记 {ctx.get('tag')} 无效，应为 "
                                            f"{_listing(ctx.get('expected_tags', ''))} 之一"),
    "union_tag_not_found": "缺少类型标记字段 {discriminator}",
    "frozen_field": "不可修改", "frozen_instance": "不可修改",
    "recursion_loop": "数据有循环引用", "arguments_type": "参数格式无效",
    # our validators raise their reasons in Chinese; pydantic prefixes them in English
    "value_error": _stripped("Value error, "), "assertion_error": _stripped("Assertion failed, "),
}


class _Ctx(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def message_zh(error: Mapping[str, Any], field: str | None = None) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) in Chinese. A type the table
    does not know names the field and keeps the type code, so nothing is read in English."""
    kind = str(error.get("type", ""))
    ctx = _Ctx({key: int(value) if isinstance(value, float) and value.is_integer() else value
                for key, value in (error.get("ctx") or {}).items()})  # le=1, not 1.0
    template = MESSAGES.get(kind)
    if template is None:
        where = field or ".".join(str(p) for p in error.get("loc", ())) or "该字段"
        return f"{where} 的取值无效（{kind or '未知错误'}）"
    if callable(template):
        return template(ctx, str(error.get("msg", "")))
    return template.format_map(ctx)
