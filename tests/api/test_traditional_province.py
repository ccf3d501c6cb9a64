"""A need written in traditional Chinese (朝陽, 遼寧省) is in the pilot city of its simplified
writing (朝阳（辽宁）) in the KPIs and the programme dashboard, as 蘇州 is 苏州.

Before, the city was folded (city_label: 朝陽 → 朝阳) but the province was not: 遼寧 did not
equal the pilot city's 辽宁, so the deal counted under a phantom city 朝阳（遼寧） beside
朝阳（辽宁）, and a 苏州 row whose needs said 江苏 and 江蘇 carried the note 需求来自不同省份.
"""

from __future__ import annotations

from api_support import headers, import_pilot_cities, sign_docking
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine
from techmatch.models.records import Need

WINDOW = {"from": "2026-03-01", "to": "2026-03-31"}


def test_a_traditional_province_is_the_pilot_city_of_its_simplified_writing(
        client: TestClient, engine: Engine) -> None:
    import_pilot_cities(client)
    engine.store.upsert([
        Need(id="N-LN", title="辽宁朝阳的需求", city="朝阳", province="辽宁省"),
        Need(id="N-LN-TW", title="遼寧朝陽的需求", city="朝陽", province="遼寧省"),
        Need(id="N-SZ", title="苏州的需求", city="苏州", province="江苏"),
        Need(id="N-SZ-TW", title="蘇州的需求", city="蘇州", province="江蘇")])
    for need, value in (("N-LN", 10), ("N-LN-TW", 5), ("N-SZ", 1), ("N-SZ-TW", 2)):
        sign_docking(engine, need, value)

    r = client.get("/v1/kpis", params={**WINDOW, "by": "city"}, headers=headers("read"))
    assert r.status_code == 200, r.text
    cities = {row["group"]["city"]: (row["counts"]["signed"], row["deal_value"])
              for row in r.json()["rows"]}
    assert cities == {"朝阳（辽宁）": (2, 15.0), "苏州": (2, 3.0)}

    board = client.get("/v1/programme/dashboard",
                       params={"start": WINDOW["from"], "end": WINDOW["to"]},
                       headers=headers("read"))
    assert board.status_code == 200, board.text
    deals = {row["city_id"]: {c["metric"]: c["actual"] for c in row["cells"]}["deal_value"]
             for row in board.json()["cities"]}
    assert deals["朝阳（辽宁）"] == 15.0
    assert not any("遼寧" in key for key in deals), deals
    assert not any("不同省份" in note for note in board.json()["notes"]), board.json()["notes"]
