"""Each record list declares (and its 422 for a mistyped parameter lists) only its own kind's
filters.

Before, one set of ten filters served the three lists: `/v1/needs?statu=open` answered 未知查询
参数 'statu'；可用：city, discipline, enterprise, industry, institution, language, …,
organization, …, type — four of those "valid" names are a 422 on needs — and the OpenAPI page
an integrator reads offered `type`, `language`, `institution` and `organization` on the needs
list.
"""

from __future__ import annotations

import pytest
from api_support import headers
from fastapi.testclient import TestClient

OWN = {
    "/v1/needs": ["city", "discipline", "enterprise", "industry", "province", "status"],
    "/v1/achievements": ["city", "discipline", "industry", "institution", "language",
                         "province", "type"],
    "/v1/experts": ["city", "organization", "province"],
}


@pytest.mark.parametrize("path", sorted(OWN))
def test_a_list_offers_only_its_own_filters(client: TestClient, path: str) -> None:
    valid = sorted([*OWN[path], "limit", "offset"])
    r = client.get(path, params={"statu": "open"}, headers=headers("read"))
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"] == "query.statu"
    assert error["message"] == f"未知查询参数 'statu'；可用：{', '.join(valid)}"

    spec = client.get("/openapi.json").json()
    declared = sorted(p["name"] for p in spec["paths"][path]["get"]["parameters"]
                      if p["in"] == "query")
    assert declared == valid

    other = next(n for p, names in OWN.items() if p != path for n in names
                 if n not in OWN[path])
    refused = client.get(path, params={other: "x"}, headers=headers("read"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == f"query.{other}"
