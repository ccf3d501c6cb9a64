"""A target set under another writing of a pilot city (朝陽(遼寧省), 朝阳(辽宁)) is stored, listed
and answered under the pilot city's id (朝阳（辽宁）), as GET /v1/programme/city/朝陽(遼寧省)
and the dashboard read it.

Before, PUT /v1/programme/targets answered 朝陽(遼寧省) as sent and stored / listed the target
as 朝阳(辽宁省): a key no pilot city has; and a name two pilot cities share (朝阳) was stored
as such, a target the board cannot place. The PUT refuses that one now (422 naming
body.<i>.city), as the targets list and the pilot-city routes do.
"""

from __future__ import annotations

from api_support import headers, import_pilot_cities
from fastapi.testclient import TestClient


def _put(client: TestClient, city: str, value: float) -> list[dict]:
    r = client.put("/v1/programme/targets", headers=headers("write"), json=[
        {"year": 2026, "city": city, "metric": "dockings_signed", "value": value}])
    assert r.status_code == 200, r.text
    return r.json()


def test_a_target_in_another_writing_is_stored_under_the_pilot_city_id(
        client: TestClient) -> None:
    import_pilot_cities(client)
    assert [t["city"] for t in _put(client, "朝陽(遼寧省)", 2)] == ["朝阳（辽宁）"]
    assert [t["city"] for t in _put(client, "朝阳(北京市)", 5)] == ["朝阳（北京）"]
    listed = client.get("/v1/programme/targets", headers=headers("read")).json()
    assert sorted((t["city"], t["value"]) for t in listed) == [
        ("朝阳（北京）", 5), ("朝阳（辽宁）", 2)]
    # set again in a third writing: one target, still under the id
    assert [t["city"] for t in _put(client, "朝陽（遼寧）", 3)] == ["朝阳（辽宁）"]
    listed = client.get("/v1/programme/targets", params={"city": "朝阳(辽宁省)"},
                        headers=headers("read")).json()
    assert [(t["city"], t["value"]) for t in listed] == [("朝阳（辽宁）", 3)]
    board = client.get("/v1/programme/dashboard", headers=headers("read"), params={
        "start": "2026-01-01", "end": "2026-12-31", "city": "朝阳（辽宁）"}).json()
    cell = next(c for c in board["cities"][0]["cells"] if c["metric"] == "dockings_signed")
    assert cell["target"] == 3
    # a city no pilot city has is kept in the dashboard's form, as before
    assert [t["city"] for t in _put(client, "杭州", 1)] == ["杭州"]


def test_a_shared_bare_name_is_refused_naming_the_field(client: TestClient) -> None:
    import_pilot_cities(client)
    r = client.put("/v1/programme/targets", headers=headers("write"), json=[
        {"year": 2026, "city": "苏州", "metric": "events", "value": 1},
        {"year": 2026, "city": "朝陽", "metric": "dockings_signed", "value": 1}])
    assert r.status_code == 422, r.text
    problem = r.json()
    assert "请写明省份" in problem["detail"] and "朝阳（北京）" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["body.1.city"]
    assert client.get("/v1/programme/targets", headers=headers("read")).json() == []
