"""A pilot city asked for by its id in traditional writing (朝陽(遼寧省), 朝陽（遼寧）) is the
pilot city 朝阳（辽宁）, as 蘇州 is 苏州 and as the dashboard's ?city= already reads it.

Before, GET /v1/programme/city/朝陽(遼寧省) answered 404 没有编号为 朝陽(遼寧省) 的试点城市:
the bare name was folded (朝陽 → 朝阳) but a name with its province was looked up as written.
"""

from __future__ import annotations

import pytest
from api_support import headers, import_pilot_cities
from fastapi.testclient import TestClient


@pytest.mark.parametrize("ref", ["朝陽(遼寧省)", "朝陽（遼寧）", "朝阳（遼寧）", "朝陽（辽宁）"])
def test_a_pilot_city_is_found_by_its_id_in_traditional_writing(client: TestClient,
                                                                ref: str) -> None:
    import_pilot_cities(client)
    r = client.get(f"/v1/programme/city/{ref}", headers=headers("read"))
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["province"]) == ("朝阳", "辽宁省")
    other = client.get("/v1/programme/city/朝陽(北京)", headers=headers("read"))
    assert other.status_code == 200 and other.json()["province"] == "北京"
    missing = client.get("/v1/programme/city/朝陽(河北)", headers=headers("read"))
    assert missing.status_code == 404, missing.text
    assert client.delete(f"/v1/programme/city/{ref}",
                         headers=headers("admin")).status_code in (200, 204)
    assert client.get("/v1/programme/city/朝阳（辽宁）",
                      headers=headers("read")).status_code == 404
