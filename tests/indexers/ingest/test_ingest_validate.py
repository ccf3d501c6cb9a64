"""Column mapping and row validation: aliases per kind, value aliases, readable row errors."""

from __future__ import annotations

import pytest

from techmatch.indexers.ingest.columns import field_for, map_header
from techmatch.indexers.ingest.validate import RowError, from_json, validate_row
from techmatch.models.records import Achievement, Expert, Need


@pytest.mark.parametrize(("header", "kind", "expected"), [
    ("标题", "achievement", "title"), ("题目", "need", "title"), ("Title ", "need", "title"),
    ("摘要", "achievement", "abstract"), ("问题描述", "need", "description"),
    ("关键词", "expert", "keywords"), ("所属行业", "need", "industry"),
    ("省份", "achievement", "province"), ("市", "need", "city"), ("企业名称", "need", "enterprise"),
    ("单位", "achievement", "institution"), ("单位", "expert", "organization"),
    ("类型", "achievement", "type"), ("成熟度（1-9）", "achievement", "maturity"),
    ("TRL", "achievement", "maturity"), ("职称", "expert", "title"), ("title", "expert", "title"),
    ("研究方向", "expert", "disciplines"), ("个人简介", "expert", "bio"),
    ("服务容量", "expert", "capacity"), ("联系方式", "need", "contact"),
    ("是否保密", "need", "confidential"), ("状态", "need", "status"),
    ("语言", "achievement", "language"), ("ＫＥＹＷＯＲＤＳ", "need", "keywords"),
    ("publication_number", "achievement", "id"), ("labels", "achievement", "keywords"),
    ("text", "achievement", "abstract"), ("联系方式", "expert", None), ("备注", "need", None),
])
def test_field_for(header: str, kind: str, expected: str | None) -> None:
    assert field_for(header, kind) == expected


def test_map_header_reports_unknown_and_shadowed_columns() -> None:
    columns = map_header(["编号", "标题", "备注", "题目", "n_labels"], "achievement")
    assert columns.fields == {"编号": "id", "标题": "title"}
    assert columns.warnings() == ["已忽略未知列：备注、n_labels",
                                  "已忽略列「题目」：「标题」已提供该字段（标题）"]


def test_value_aliases_become_record_values() -> None:
    record = validate_row({"id": "A1", "title": "x", "type": "专利", "maturity": "TRL 6",
                           "language": "英文", "keywords": '["G06F18/2433", "G06F40/216"]'},
                          "achievement", file="a.csv", row=2)
    assert isinstance(record, Achievement)
    assert (record.type, record.maturity, record.language) == ("patent", 6, "en")
    assert record.keywords == ["G06F18/2433", "G06F40/216"]
    need = validate_row({"id": 17, "title": "x", "status": "待解决", "confidential": "是"},
                        "need", file="n.csv", row=2)
    assert isinstance(need, Need)
    assert (need.id, need.status, need.confidential) == ("17", "open", True)
    expert = validate_row({"id": "E1", "name": "王", "capacity": 5, "languages": "中文、英文",
                           "disciplines": "材料学，化学"}, "expert", file="e.csv", row=2)
    assert isinstance(expert, Expert)
    assert (expert.languages, expert.disciplines) == (["zh", "en"], ["材料学", "化学"])


def test_every_error_of_a_row_is_reported_with_its_field() -> None:
    errors = validate_row({"id": "A 1", "title": "x", "maturity": "12", "type": "论著"},
                          "achievement", file="achievements.csv", row=7)
    assert isinstance(errors, list)
    by_field = {e.field: e for e in errors}
    assert set(by_field) == {"id", "maturity", "type"}
    assert str(by_field["maturity"]) == \
        "achievements.csv 第 7 行，字段 maturity：应在 1 到 9 之间（收到 12）"
    assert by_field["type"].message.startswith("取值应为 论文、专利、技术、软件、其他 之一（收到 ")


def test_missing_text_and_bad_boolean_messages() -> None:
    errors = validate_row({"id": "N1", "enterprise": "某公司"}, "need", file="n.csv", row=3)
    assert errors == [RowError("n.csv", 3, "title/description",
                               "标题、需求描述与关键词至少填写一项")]
    errors = validate_row({"id": "N1", "title": "x", "confidential": "也许"}, "need",
                          file="n.csv", row=4)
    assert isinstance(errors, list)
    assert [(e.field, e.message) for e in errors] == [
        ("confidential", "应为是或否（是/否、true/false、1/0）（收到 '也许'）")]


def test_kind_mismatch_and_missing_id() -> None:
    errors = validate_row({"kind": "need", "id": "N1", "title": "x"}, "achievement",
                          file="a.jsonl", row=1)
    assert errors == [RowError("a.jsonl", 1, "kind",
                               "该行是需求记录，应为成果记录")]
    errors = validate_row({"title": "x"}, "achievement", file="a.jsonl", row=2)
    assert isinstance(errors, list) and [(e.field, e.message) for e in errors] == [
        ("id", "必填")]


def test_display_text_is_kept_as_written() -> None:
    raw = {"id": "A1", "title": " 軟體開發\u200b平台\x07 ", "abstract": "ＡＩ　全形文字"}
    record = validate_row(raw, "achievement", file="a.csv", row=2)
    assert isinstance(record, Achievement)
    assert record.title == "軟體開發平台"  # controls dropped, traditional kept
    assert record.abstract == "ＡＩ　全形文字"  # no NFKC, no simplification on display text


@pytest.mark.parametrize(("kind", "text_field", "title_field"), [
    ("achievement", "abstract", "title"), ("need", "description", "title"),
    ("expert", "bio", "name")])
def test_beir_shape(kind: str, text_field: str, title_field: str) -> None:
    line = {"_id": "csl-1", "title": "T", "text": "正文",
            "metadata": {"discipline": "材料", "category": "工学", "keywords": ["a", "b"]}}
    fields, unknown = from_json(line, kind)
    assert fields["id"] == "csl-1"
    assert (fields[title_field], fields[text_field]) == ("T", "正文")
    assert fields["keywords"] == ["a", "b"]
    assert unknown == ["metadata.category"]
