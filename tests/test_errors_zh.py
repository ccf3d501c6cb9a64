"""ValidationError names where in Chinese: `str(exc)` (the API's `detail`, the CLI, logs) led
with 'file a.csv, row 3, field 'kind': …' in English; the parts stay apart as attributes."""

from __future__ import annotations

from techmatch.errors import IngestError, ValidationError


def test_the_location_prefix_is_chinese_and_the_parts_stay_apart() -> None:
    exc = ValidationError("取值无效", source="a.csv", row=3, field="kind")
    assert str(exc) == "文件 a.csv，第 3 行，字段 kind：取值无效"
    assert (exc.message, exc.source, exc.row, exc.field) == ("取值无效", "a.csv", 3, "kind")
    assert str(ValidationError("必填", field="body.title")) == "字段 body.title：必填"
    assert str(ValidationError("必填", row=0)) == "第 0 行：必填"
    assert str(IngestError("文件为空", source="b.xlsx")) == "文件 b.xlsx：文件为空"
    assert str(ValidationError("请求无效")) == "请求无效"
