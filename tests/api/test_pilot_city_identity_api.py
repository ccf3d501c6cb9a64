"""/v1/programme: two pilot cities of one name in two provinces, imported over HTTP."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_import_and_read_same_name_cities(client: TestClient) -> None:
    body = "城市,省份,批次\n朝阳,辽宁,2\n朝阳,北京,3\n".encode()
    r = client.post("/v1/programme/import/city", headers=headers("write"),
                    files={"file": ("cities.csv", body, "text/csv")})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["created"]) == ["朝阳（北京）", "朝阳（辽宁）"]
    one = client.get("/v1/programme/city/朝阳（北京）", headers=headers("read"))
    assert one.status_code == 200 and one.json()["batch"] == 3
    both = client.get("/v1/programme/city/朝阳", headers=headers("read"))
    assert both.status_code == 422 and "请写明省份" in both.text
    listed = client.get("/v1/programme/city", headers=headers("read")).json()
    assert sorted((c["province"], c["batch"]) for c in listed if c["name"] == "朝阳") == [
        ("北京", 3), ("辽宁", 2)]
