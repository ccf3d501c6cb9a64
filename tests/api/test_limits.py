"""Body size, text hygiene, k / page caps and empty queries: clear 4xx, never a 500."""

from __future__ import annotations

import json

import pytest
from api_support import headers
from fastapi.testclient import TestClient

from techmatch.api.limits import find_bad_text, text_problem
from techmatch.indexers.ingest.normalize import has_searchable


def test_text_problem_names_the_character() -> None:
    assert text_problem("正常文本\n第二行\t制表") is None
    assert "U+0007" in (text_problem("a\x07b") or "")
    assert "孤立的代理码位 U+D800" in (text_problem("x\ud800") or "")
    assert "U+0085" in (text_problem("a\x85") or "")  # C1 controls too


def test_find_bad_text_reports_the_path() -> None:
    bad = find_bad_text({"need": {"keywords": ["ok", "b\x00ad"]}})
    assert bad is not None and bad.field == "body.need.keywords.1"
    assert find_bad_text({"need": {"title": "涡轮叶片"}}) is None


def test_has_searchable() -> None:
    assert has_searchable("裂纹") and has_searchable("a1")
    assert not has_searchable(" ，。!!! ?")


def _problem(response, status: int) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_body_over_limit_is_413_by_content_length(client: TestClient) -> None:
    limit = client.app.state.tm.settings.max_body_bytes  # type: ignore[attr-defined]
    big = json.dumps({"kind": "need", "text": "裂" * limit}).encode()
    response = client.post("/v1/search", content=big, headers={
        **headers("read"), "content-type": "application/json"})
    assert _problem(response, 413)["detail"] == (
        f"请求体超过 {limit} 字节的上限（设置项 TECHMATCH_MAX_BODY_BYTES），请拆分批量请求或文件")


def test_streamed_body_over_limit_is_413(client: TestClient) -> None:
    limit = client.app.state.tm.settings.max_body_bytes  # type: ignore[attr-defined]

    def chunks():  # noqa: ANN202 - no Content-Length: chunked transfer
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    response = client.post("/v1/search", content=chunks(), headers={
        **headers("read"), "content-type": "application/json"})
    _problem(response, 413)


@pytest.mark.parametrize("raw, field, words", [
    (b'{"need": {"title": "\\u0007bell"}}', "body.need.title", "U+0007"),
    (b'{"need": {"title": "\\ud800"}}', "body.need.title", "孤立的代理码位"),
    (b'{"need": {"title": "\xff\xfe"}}', "body", "请求体不是有效的 UTF-8"),
    (b'{"need": {"keywords": ["ok", "\\u001b[31m"]}}', "body.need.keywords.1", "U+001B"),
])
def test_bad_text_is_422_naming_the_field(client: TestClient, raw: bytes, field: str,
                                          words: str) -> None:
    response = client.post("/v1/match/need", content=raw, headers={
        **headers("read"), "content-type": "application/json"})
    body = _problem(response, 422)
    assert body["errors"][0]["field"] == field and words in body["errors"][0]["message"]


def test_bad_query_string_is_422(client: TestClient) -> None:
    response = client.get("/v1/needs?province=%E6%B1%9F%FF", headers=headers("read"))
    assert "UTF-8" in _problem(response, 422)["detail"]
    response = client.get("/v1/needs?province=a%07", headers=headers("read"))
    assert _problem(response, 422)["errors"][0]["field"] == "query.province"


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/v1/search", content=b'{"kind": "need", "text": ', headers={
        **headers("read"), "content-type": "application/json"})
    _problem(response, 422)


def test_schema_errors_carry_field_paths(client: TestClient) -> None:
    response = client.post("/v1/match/need", json={"need": {"title": "x" * 501}, "k": 0},
                           headers=headers("read"))
    fields = {e["field"] for e in _problem(response, 422)["errors"]}
    assert {"body.need.title", "body.k"} <= fields


@pytest.mark.parametrize("path", ["/v1/match/needs/need-blade?k=101",
                                  "/v1/needs?offset=9990&limit=20",
                                  "/v1/needs?limit=1000"])
def test_k_and_page_depth_caps(client: TestClient, path: str) -> None:
    _problem(client.get(path, headers=headers("read")), 422)


def test_too_many_filter_values_is_422(client: TestClient) -> None:
    body = {"kind": "need", "text": "裂纹", "filters": {"province": ["x"] * 51}}
    response = client.post("/v1/search", json=body, headers=headers("read"))
    assert _problem(response, 422)["errors"][0]["field"].startswith("body.filters.province")


@pytest.mark.parametrize("text", ["", "   ", "？！。，", "..."])
def test_empty_or_punctuation_query_is_422(client: TestClient, text: str) -> None:
    response = client.post("/v1/search", json={"kind": "need", "text": text},
                           headers=headers("read"))
    assert _problem(response, 422)["errors"][0]["field"] == "body.text"
