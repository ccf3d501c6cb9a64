"""The network path: a real uvicorn server on 127.0.0.1 (free port, started in a thread)."""

from __future__ import annotations

import re

import httpx
import pytest
from api_support import KEYS, headers


@pytest.fixture(scope="module")
def http(live_server: str):  # noqa: ANN201
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


def test_served_on_loopback(live_server: str) -> None:
    assert live_server.startswith("http://127.0.0.1:")


def test_health_and_ready(http: httpx.Client) -> None:
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").json()["status"] == "ready"


def test_no_key_401_problem_json(http: httpx.Client) -> None:
    response = http.get("/v1/match/needs/need-blade")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "X-API-Key"


def test_read_key_write_403(http: httpx.Client) -> None:
    response = http.post("/v1/needs", json={"id": "n", "title": "题"}, headers=headers("read"))
    assert response.status_code == 403 and response.json()["status"] == 403


_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("key, slug", [(None, "unauthorized"), ("not-a-key", "unauthorized"),
                                       ("read", "forbidden")])
def test_auth_errors_read_in_chinese_with_a_stable_code(http: httpx.Client, key: str | None,
                                                        slug: str) -> None:
    """401 (no key, a wrong key) and 403 (a read key writing) over the network: the detail
    is Chinese (staff read it) and the problem type carries the stable English code; they
    read 'missing API key: …', 'invalid API key', 'this operation needs a write key; …'."""
    sent = {} if key is None else headers(key) if key in KEYS else {"X-API-Key": key}
    response = http.post("/v1/needs", json={"id": "n", "title": "题"}, headers=sent)
    body = response.json()
    assert response.status_code == body["status"] == (403 if slug == "forbidden" else 401)
    assert body["type"] == f"urn:techmatch:problem:{slug}"
    assert _CJK.search(body["detail"]) and _CJK.search(body["title"])
    assert not re.search(r"\b(missing|invalid|needs|yours)\b", body["detail"])
    if slug == "forbidden":  # the role codes stay beside the Chinese labels
        assert "（write）" in body["detail"] and "（read）" in body["detail"]
    elif key is None:  # the header to send is named
        assert "X-API-Key" in body["detail"]


def test_oversized_body_413(http: httpx.Client) -> None:
    big = b'{"kind": "need", "text": "' + b"a" * 6_000_000 + b'"}'
    response = http.post("/v1/search", content=big,
                         headers={**headers("read"), "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["type"] == "urn:techmatch:problem:too-large"


def test_chunked_oversized_body_413(http: httpx.Client) -> None:
    def chunks():  # noqa: ANN202
        for _ in range(100):
            yield b"x" * 65536

    response = http.post("/v1/search", content=chunks(),
                         headers={**headers("read"), "content-type": "application/json"})
    assert response.status_code == 413


def test_invalid_text_422_problem_json(http: httpx.Client) -> None:
    response = http.post("/v1/search", content=b'{"kind": "need", "text": "\\ud83d"}',
                         headers={**headers("read"), "content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body.text",
                                          "message": "第 1 个字符是孤立的代理码位 U+D83D"
                                                     "（不是有效的 Unicode 字符）",
                                          "code": "text_invalid"}]


def test_match_over_http_returns_explained_hits(http: httpx.Client) -> None:
    ranking = http.get("/v1/match/needs/need-blade?target=achievement&k=3",
                       headers=headers("read")).json()
    assert ranking["generation"] == "gen-1"
    top = ranking["hits"][0]
    assert top["id"] == "ach-eddy" and top["confidence"] > 0.5
    assert top["explanation"]["matched_terms"] and top["explanation"]["record_sentence"]


def test_write_then_read_over_http(http: httpx.Client) -> None:
    body = {"id": "need-live", "title": "氢燃料电池双极板涂层", "province": "上海"}
    written = http.post("/v1/needs?wait=true", json=body, headers=headers("write")).json()
    assert written["index"]["generation"] not in (None, "gen-1")
    ranking = http.post("/v1/search", json={"kind": "need", "text": "燃料电池 双极板"},
                        headers=headers("read")).json()
    assert ranking["hits"][0]["id"] == "need-live"
    assert ranking["generation"] == written["index"]["generation"]
