"""The dashboard download of one city is named after the city (RFC 6266 `filename*`, UTF-8),
with an ASCII `filename` fallback: 苏州's and 青岛's workbooks no longer share one name.
Over real HTTP: a raw non-ASCII header value is what the server would choke on."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from api_support import headers

WINDOW = {"start": "2026-01-01", "end": "2026-12-31", "format": "xlsx"}


def test_city_dashboard_is_named_after_the_city(live_server: str) -> None:
    names = []
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for city in ("苏州", "青岛"):
            r = client.get("/v1/programme/dashboard", params={**WINDOW, "city": city},
                           headers=headers("read"))
            assert r.status_code == 200, r.text
            assert r.content[:2] == b"PK"
            disposition = r.headers["content-disposition"]
            real = f"dashboard-{city}-2026-01-01-2026-12-31.xlsx"
            assert f"filename*=UTF-8''{quote(real, safe='')}" in disposition
            assert 'filename="dashboard-_-2026-01-01-2026-12-31.xlsx"' in disposition
            names.append(disposition)
        national = client.get("/v1/programme/dashboard", params=WINDOW,
                              headers=headers("read")).headers["content-disposition"]
    assert names[0] != names[1]
    assert 'filename="dashboard-2026-01-01-2026-12-31.xlsx"' in national
