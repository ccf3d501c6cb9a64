"""The API's own error details read in Chinese (staff read them through clients and the docs
page): the handlers said 'internal error; see the server log', 'offset + limit must be <=
10000 …', 'unknown query parameter …', 'request body exceeds …'. The problem's title keeps
its English word and the type its stable slug; field paths stay codes."""

from __future__ import annotations

import re

from api_support import headers
from fastapi import FastAPI
from fastapi.testclient import TestClient

_CJK = re.compile(r"[\u4e00-\u9fff]")


def test_an_unexpected_error_is_500_in_chinese(app: FastAPI) -> None:
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = client.get("/v1/boom").json()
    assert body["status"] == 500 and body["type"] == "urn:techmatch:problem:internal"
    assert body["detail"] == "内部错误，详情见服务器日志"


def test_paging_too_deep_and_unknown_parameters_say_why_in_chinese(client: TestClient) -> None:
    deep = client.get("/v1/needs", params={"offset": 9990, "limit": 50},
                      headers=headers("read")).json()
    assert deep["errors"] == [{"field": "query.offset", "message": "offset + limit 不能超过 "
                               "10000（当前为 10040）；请收窄筛选条件，不要翻得更深",
                               "code": "invalid"}]
    unknown = client.get("/v1/needs", params={"statu": "open"}, headers=headers("read")).json()
    assert unknown["errors"][0]["field"] == "query.statu"
    for body in (deep, unknown):
        assert body["type"] == "urn:techmatch:problem:validation"
        assert _CJK.search(body["detail"]) and _CJK.search(body["errors"][0]["message"])


def test_route_checks_name_the_field_in_chinese(client: TestClient) -> None:
    """The routes' own checks said 'the window ends (…) before it starts (…)', 'id in the body
    (…) differs from the path (…)', 'require_local needs the need's city or province', 'query
    text has no letters, digits or CJK characters', 'a blank value matches no record'."""
    read, write = headers("read"), headers("write")
    window = client.get("/v1/programme/event", params={"start": "2026-12-01",
                                                       "end": "2026-01-01"}, headers=read)
    differs = client.put("/v1/needs/n-x", json={"id": "n-y", "title": "新需求"}, headers=write)
    local = client.post("/v1/match/need", json={"need": {"title": "锂电池热失控预警"},
                                                "require_local": True}, headers=read)
    empty = client.post("/v1/search", json={"kind": "need", "text": "！！！"}, headers=read)
    blank = client.post("/v1/search", json={"kind": "need", "text": "电池",
                                            "filters": {"city": [" "]}}, headers=read)
    said = {r.json()["errors"][0]["field"]: r.json()["errors"][0]["message"]
            for r in (window, differs, local, empty, blank)}
    assert said == {
        "end": "结束日期（2026-01-01）早于开始日期（2026-12-01）",
        "body.id": "请求体中的 id（'n-y'）与路径中的 id（'n-x'）不一致",
        "body.require_local": "require_local 需要需求填写了城市或省份",
        "body.text": "查询文本中没有字母、数字或汉字，无法检索",
        "body.filters.city.0": "空白的取值匹配不到任何记录"}
