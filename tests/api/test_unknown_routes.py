"""A wrong method or address over real HTTP: 405 lists every method the path serves in
`Allow` (it named only PUT for /v1/needs/{id}, which also serves GET and DELETE), and an
unknown route is not titled 记录不存在 as if a record were missing."""

from __future__ import annotations

import httpx
from api_support import headers


def test_405_allow_lists_every_method_of_the_path(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        r = client.patch("/v1/needs/need-blade", headers=headers("read"))
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    assert {"GET", "PUT", "DELETE"} <= allowed and "PATCH" not in allowed
    assert r.json()["detail"].startswith("/v1/needs/need-blade 不接受 PATCH 请求；可用方法：")


def test_unknown_route_is_not_a_missing_record(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        r = client.get("/v1/neds/need-blade", headers=headers("read"))
        record = client.get("/v1/needs/no-such-need", headers=headers("read"))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["title"] == "接口不存在 (no such route)"
    assert body["detail"] == "没有接口 GET /v1/neds/need-blade；接口列表见 /docs"
    assert record.status_code == 404 and record.json()["title"] == "记录不存在 (not found)"
