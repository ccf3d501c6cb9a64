"""A registry list whose window ends before it starts is a 422 naming `end` (as the dashboard
and the KPIs answer), not an empty list a client reads as "no events"."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_inverted_window_is_422_naming_end(client: TestClient) -> None:
    put = client.put("/v1/programme/event", headers=headers("write"), json=[
        {"id": "EV1", "type": "roadshow", "title": "苏州新材料技术路演", "date": "2026-03-15",
         "city": "苏州"}])
    assert put.status_code == 200, put.text
    bad = client.get("/v1/programme/event", params={"start": "2026-12-01", "end": "2026-01-01"},
                     headers=headers("read"))
    assert bad.status_code == 422, bad.text
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "end"
    good = client.get("/v1/programme/event", params={"start": "2026-01-01", "end": "2026-12-01"},
                      headers=headers("read"))
    assert [e["id"] for e in good.json()] == ["EV1"]
