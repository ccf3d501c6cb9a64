"""Broken JSON is a 422 naming `body` and the character where parsing stopped: it named
`body.11`, which a client reads as element 11 of an array body."""

from __future__ import annotations

import httpx
from api_support import headers


def test_broken_json_names_body_and_the_offset(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        r = client.post("/v1/needs", content=b'{"id": "N9",', headers={
            **headers("write"), "content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    error = r.json()["errors"][0]
    assert error["field"] == "body"
    assert error["message"].startswith("JSON 解析错误（第 13 个字符处）")


def test_json_sent_with_another_content_type_says_so(live_server: str) -> None:
    """`curl -d` sends application/x-www-form-urlencoded: the answer said 'Input should be a
    valid dictionary', though the JSON was fine."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        r = client.post("/v1/search", content='{"kind": "need", "text": "电池"}'.encode(),
                        headers={**headers("read"),
                                 "content-type": "application/x-www-form-urlencoded"})
        ok = client.post("/v1/search", json={"kind": "need", "text": "电池", "k": 1},
                         headers=headers("read"))
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"] == "body"
    assert error["message"].startswith("请求体应为 JSON，并以 Content-Type: application/json 发送")
    assert "x-www-form-urlencoded" in error["message"]
    assert ok.status_code == 200
