"""Pydantic's 422 answers read in Chinese over real HTTP: the per-field messages were
pydantic's English ('Field required', 'Input should be a valid integer', 'Extra inputs are not
permitted'). Each error keeps pydantic's type as the stable English `code` and its `loc`."""

from __future__ import annotations

import re

import httpx
from api_support import headers

_CJK = re.compile(r"[\u4e00-\u9fff]")


def test_a_bad_search_body_names_each_field_in_chinese_with_its_code(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        r = client.post("/v1/search", json={"kind": "widget", "k": "ten", "colour": "red",
                                            "filters": {"city": "苏州"}},
                        headers=headers("read"))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "urn:techmatch:problem:validation"
    by_field = {e["field"]: e for e in body["errors"]}
    assert by_field["body.text"] == {"field": "body.text", "message": "必填", "code": "missing",
                                     "loc": ["body", "text"]}
    assert by_field["body.k"]["message"] == "应为整数"
    assert by_field["body.k"]["code"] == "int_type"  # k is strict: "ten" is no integer
    assert by_field["body.colour"]["message"] == "不是可接受的字段（字段名拼写有误？）"
    assert by_field["body.colour"]["code"] == "extra_forbidden"
    assert by_field["body.kind"]["code"] == "literal_error"
    assert by_field["body.kind"]["message"] == "取值应为 'need'、'achievement'、'expert' 之一"
    assert by_field["body.filters.city"]["code"] == "list_type"
    assert by_field["body.filters.city"]["message"] == "应为数组（列表）"
    assert "body.text: 必填" in body["detail"]
    for error in body["errors"]:
        assert _CJK.search(error["message"]), error
        assert not re.search(r"Input should|Field required|Extra inputs", error["message"])


def test_query_limits_and_json_reasons_read_in_chinese(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        deep = client.get("/v1/needs", params={"limit": 0}, headers=headers("read"))
        long = client.post("/v1/search", json={"kind": "need", "text": "电" * 5000},
                           headers=headers("read"))
        broken = client.post("/v1/search", content=b'{"kind": "need", "text": }',
                             headers={**headers("read"), "content-type": "application/json"})
    limit = deep.json()["errors"][0]
    assert (limit["field"], limit["code"], limit["loc"]) == ("query.limit", "greater_than_equal",
                                                             ["query", "limit"])
    assert limit["message"] == "应不小于 1"
    text = long.json()["errors"][0]
    assert text["code"] == "string_too_long" and text["message"].startswith("过长：最多 ")
    json_error = broken.json()["errors"][0]
    assert json_error["code"] == "json_invalid"
    assert json_error["message"] == "JSON 解析错误（第 26 个字符处）：此处缺少值"


def test_a_boolean_for_a_number_is_refused_in_chinese(live_server: str) -> None:
    """Our own checks behind pydantic said 'field 'slots' must be a number, not true/false'."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        r = client.post("/v1/plans/roadshow", json={"city": "苏州", "slots": True},
                        headers=headers("write"))
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert (error["code"], error["message"]) == ("value_error",
                                                 "字段 'slots' 应为数字，不能是 true/false")
