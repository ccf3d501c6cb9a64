"""A client's query-string mistakes are 422 naming the parameter, never silently ignored.

Over real HTTP: the query string is parsed by uvicorn as a client's request would be.
"""

from __future__ import annotations

import httpx
import pytest
from api_support import headers


def _problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("path, params, bad", [
    ("/v1/needs", {"statu": "closed"}, "statu"),  # a typo must not list every need
    ("/v1/needs", {"limit": "1", "page": "2"}, "page"),
    ("/v1/match/needs/need-blade", {"targt": "expert"}, "targt"),
    ("/v1/dockings", {"stages": "signed"}, "stages"),
    ("/v1/kpis", {"from": "2026-01-01", "to": "2026-03-31", "bys": "city"}, "bys"),
    ("/v1/programme/event", {"city": "苏州", "limit": "5"}, "limit"),
])
def test_unknown_query_parameter_is_422_naming_it(live_server: str, path: str,
                                                  params: dict, bad: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        body = _problem(client.get(path, params=params, headers=headers("read")), 422)
    assert body["errors"][0]["field"] == f"query.{bad}"
    assert body["errors"][0]["message"].startswith(f"未知查询参数 '{bad}'；可用：")


def test_declared_parameters_still_work_and_401_comes_first(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        ok = client.get("/v1/needs", params={"status": "open", "limit": 1},
                        headers=headers("read"))
        assert ok.status_code == 200 and ok.json()["limit"] == 1
        kpis = client.get("/v1/kpis", params={"from": "2026-01-01", "to": "2026-03-31"},
                          headers=headers("read"))
        assert kpis.status_code == 200, kpis.text
        assert _problem(client.get("/v1/needs", params={"statu": "x"}), 401)["status"] == 401
        assert client.get("/healthz", params={"probe": "1"}).status_code == 200
        listing = _problem(client.get("/v1/needs", params={"statu": "x"},
                                      headers=headers("read")), 422)
    assert "status" in listing["errors"][0]["message"]  # the valid names are listed
