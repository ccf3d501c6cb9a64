"""The programme pages as a pilot-city coordinator uses them (real app, in-process HTTP):
the console's dashboard downloads are named after the city, as the API's are."""

from __future__ import annotations

import re
from urllib.parse import quote

from api_support import KEYS, console_login
from fastapi.testclient import TestClient

HTML = {"accept": "text/html"}
WINDOW = {"from": "2026-01-01", "to": "2026-12-31"}



def test_console_dashboard_downloads_are_named_after_their_city(client: TestClient) -> None:
    """苏州's and 青岛's 导出 XLSX / 下载图表 PNG were both programme-2026-01-01-2026-12-31.*:
    saving the second overwrote (or renamed) the first."""
    console_login(client, "read")
    for fmt in ("xlsx", "png"):
        names = []
        for city in ("苏州", "青岛"):
            r = client.get(f"/programme/{fmt}", params={**WINDOW, "city": city}, headers=HTML)
            assert r.status_code == 200, r.text[:300]
            real = f"programme-{city}-2026-01-01-2026-12-31.{fmt}"
            assert f"filename*=UTF-8''{quote(real, safe='')}" in r.headers["content-disposition"]
            names.append(r.headers["content-disposition"])
        assert names[0] != names[1]
        national = client.get(f"/programme/{fmt}", params=WINDOW, headers=HTML)
        assert f'filename="programme-2026-01-01-2026-12-31.{fmt}"' in \
            national.headers["content-disposition"]


def test_console_dashboard_says_which_day_a_signing_counts_on(client: TestClient) -> None:
    """Signed deals count on the contract's date (签约日期, a China date; without one, the
    China (UTC+8) day of the signing move), as every docking KPI does (they counted UTC days,
    so a deal signed at 07:00 on 1 January in Beijing fell in the previous year). The page
    says so beside its 统计日."""
    console_login(client, "read")
    page = client.get("/programme", params=WINDOW, headers=HTML)
    assert page.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "签约按合同的签约日期（北京时间）计入统计期，未填签约日期的按签约操作当天，" \
        "与对接绩效一致" in text


def test_api_deletes_a_target_typed_for_the_wrong_city(client: TestClient) -> None:
    """PUT /v1/programme/targets could set a target for 苏洲 (a typo) but nothing removed it;
    DELETE /v1/programme/targets (admin) does, and a write key is refused."""
    admin, write = {"X-API-Key": KEYS["admin"]}, {"X-API-Key": KEYS["write"]}
    body = [{"year": 2026, "city": "苏洲", "metric": "dockings_signed", "value": 5}]
    assert client.put("/v1/programme/targets", json=body, headers=write).status_code == 200
    query = {"year": 2026, "city": "苏洲", "metric": "签约对接数"}
    assert client.delete("/v1/programme/targets", params=query, headers=write).status_code == 403
    assert client.delete("/v1/programme/targets", params=query, headers=admin).status_code == 204
    left = client.get("/v1/programme/targets", params={"city": "苏洲"}, headers=admin).json()
    assert left == []
    again = client.delete("/v1/programme/targets", params=query, headers=admin)
    assert again.status_code == 404
