"""A 422 for a control character or a lone surrogate names its place as staff count:
"锂电池\\x07浆料" has it at the 4th character, not the "第 3 个" (a 0-based index) it said —
and a text starting with one read "第 0 个字符"."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

from techmatch.api.limits import text_problem


def test_the_bad_character_is_counted_from_one() -> None:
    assert text_problem("\x07ab") == "第 1 个字符是控制字符 U+0007；只允许换行符和制表符"
    assert text_problem("锂电池\x07浆料") == "第 4 个字符是控制字符 U+0007；只允许换行符和制表符"
    assert text_problem("锂电池\ud800") == ("第 4 个字符是孤立的代理码位 U+D800"
                                          "（不是有效的 Unicode 字符）")


def test_body_and_query_name_the_same_place(client: TestClient) -> None:
    body = client.post("/v1/needs", json={"id": "cc-1", "title": "锂电池\u0007浆料"},
                       headers=headers("write"))
    assert body.status_code == 422, body.text
    assert body.json()["errors"][0]["field"] == "body.title"
    assert body.json()["errors"][0]["message"].startswith("第 4 个字符")
    query = client.get("/v1/needs", params={"city": "苏\u0007州"}, headers=headers("read"))
    assert query.status_code == 422, query.text
    assert query.json()["errors"][0]["message"].startswith("第 2 个字符")
    assert client.get("/v1/needs/cc-1", headers=headers("read")).status_code == 404


def test_broken_json_names_the_character_counted_from_one(client: TestClient) -> None:
    """'{"id": }': parsing stops at the 8th character, the `}` — it said 第 7 个字符处, and
    第 0 个字符处 for a body that is not JSON at all."""
    for body, place in ((b'{"id": }', 8), (b"x", 1)):
        r = client.post("/v1/needs", content=body, headers={
            **headers("write"), "content-type": "application/json"})
        assert r.status_code == 422, r.text
        error = r.json()["errors"][0]
        assert error["field"] == "body" and error["code"] == "json_invalid"
        assert error["message"].startswith(f"JSON 解析错误（第 {place} 个字符处）"), error
        assert error["loc"] == ["body", place - 1]  # pydantic's own offset, kept raw
