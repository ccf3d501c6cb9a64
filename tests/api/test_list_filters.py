"""List filters with stable codes (status, type, language): an unknown code is a 422
naming the filter and the valid codes, not an empty page a client reads as "none"."""

from __future__ import annotations

import httpx
import pytest
from api_support import headers


def _problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("path, name, value", [
    ("/v1/needs", "status", "opened"),
    ("/v1/achievements", "type", "专利"),
    ("/v1/achievements", "language", "cn"),
])
def test_a_coded_filter_with_an_unknown_code_is_422(live_server: str, path: str, name: str,
                                                     value: str) -> None:
    """`?status=opened` answered 200 with total 0: a client read "no open needs"."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        body = _problem(client.get(path, params={name: value}, headers=headers("read")), 422)
        good = client.get("/v1/achievements", params={"type": "patent"},
                          headers=headers("read")).json()
    assert body["errors"][0]["field"] == f"query.{name}"
    assert body["errors"][0]["message"].startswith(f"{name} 没有取值 '{value}'；可选：")
    assert good["total"] == 1 and good["items"][0]["id"] == "ach-bms"
