"""项目看板 with two pilot cities of one name (朝阳 in 辽宁 and in 北京), over the API's JSON,
XLSX and PNG and the console page.

Before, the board grouped by city name: both 朝阳 were one row with one target line and the
batch of one of them, and the console's dropdown listed 朝阳 twice. Each pilot city is its own
row now (keyed by its id, shown as 朝阳（辽宁） where the name is shared; 苏州 reads as
before); a need counts under the pilot city of its city and province; one naming 朝阳 without a
province counts in the national column only, noted as 无法确定城市.
"""

from __future__ import annotations

import io
import re

import openpyxl
from api_support import console_login, headers, import_pilot_cities, sign_docking
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine
from techmatch.models.records import Need

WINDOW = {"start": "2026-01-01", "end": "2026-12-31", "today": "2026-11-30"}


def _setup(client: TestClient, engine: Engine) -> None:
    import_pilot_cities(client)
    r = client.put("/v1/programme/targets", headers=headers("write"), json=[
        {"year": 2026, "city": "朝阳（辽宁）", "metric": "dockings_signed", "value": 2},
        {"year": 2026, "city": "朝阳(北京)", "metric": "dockings_signed", "value": 5},
        {"year": 2026, "city": "苏州", "metric": "dockings_signed", "value": 4}])
    assert r.status_code == 200, r.text
    engine.store.upsert([
        Need(id="N-LN", title="辽宁朝阳的需求", city="朝阳", province="辽宁省"),
        Need(id="N-BJ", title="北京朝阳的需求", city="朝阳", province="北京市"),
        Need(id="N-X", title="不知哪个朝阳的需求", city="朝阳"),
        Need(id="N-SZ", title="苏州的需求", city="苏州", province="江苏")])
    for need, value in (("N-LN", 10), ("N-BJ", 20), ("N-X", 7), ("N-SZ", 1)):
        sign_docking(engine, need, value)


def _rows(board: dict) -> dict[str, tuple]:
    return {r["city"]: (r["city_id"], r["batch"],
                        *next((c["actual"], c["target"]) for c in r["cells"]
                              if c["metric"] == "dockings_signed"),
                        next(c["actual"] for c in r["cells"] if c["metric"] == "deal_value"))
            for r in board["cities"]}


def test_same_name_pilot_cities_are_two_rows_on_every_view(client: TestClient,
                                                          engine: Engine) -> None:
    _setup(client, engine)
    r = client.get("/v1/programme/dashboard", params=WINDOW, headers=headers("read"))
    assert r.status_code == 200, r.text
    board = r.json()
    assert _rows(board) == {
        "朝阳（辽宁）": ("朝阳（辽宁）", 2, 1, 2, 10),
        "朝阳（北京）": ("朝阳（北京）", 3, 1, 5, 20),
        "苏州": ("苏州（江苏）", 1, 1, 4, 1)}
    national = {c["metric"]: c["actual"] for c in board["national"]["cells"]}
    assert (national["dockings_signed"], national["deal_value"]) == (4, 38)
    unplaced = [n for n in board["notes"] if n.startswith("无法确定城市")]
    assert len(unplaced) == 1 and "需求 N-X" in unplaced[0], board["notes"]
    assert "朝阳（北京）、朝阳（辽宁）" in unplaced[0]

    one = client.get("/v1/programme/dashboard", params={**WINDOW, "city": "朝阳(北京市)"},
                     headers=headers("read")).json()
    assert _rows(one) == {"朝阳（北京）": ("朝阳（北京）", 3, 1, 5, 20)}
    assert (one["city"], one["city_id"]) == ("朝阳（北京）", "朝阳（北京）")
    assert _rows(client.get("/v1/programme/dashboard", params={**WINDOW, "city": "苏州"},
                            headers=headers("read")).json())["苏州"][0] == "苏州（江苏）"
    both = client.get("/v1/programme/dashboard", params={**WINDOW, "city": "朝阳"},
                      headers=headers("read"))
    assert both.status_code == 422 and "请写明省份" in both.text

    xlsx = client.get("/v1/programme/dashboard", params={**WINDOW, "format": "xlsx"},
                      headers=headers("read"))
    assert xlsx.status_code == 200, xlsx.text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["城市指标"]
    signed = {row[0]: (row[1], row[4], row[5]) for row in sheet.iter_rows(min_row=2,
                                                                          values_only=True)
              if row[3] == "dockings_signed"}
    assert signed == {"朝阳（辽宁）": (2, 1, 2), "朝阳（北京）": (3, 1, 5), "苏州": (1, 1, 4)}
    png = client.get("/v1/programme/dashboard", params={**WINDOW, "format": "png"},
                     headers=headers("read"))
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"

    console_login(client, "read")
    html = {"accept": "text/html"}
    page = client.get("/programme", params={"from": "2026-01-01", "to": "2026-12-31"},
                      headers=html).text
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page)
    assert [o for o in options if o[0]] == [
        ("朝阳（北京）", "朝阳（北京）"), ("朝阳（辽宁）", "朝阳（辽宁）"),
        ("苏州（江苏）", "苏州")]
    heads = re.findall(r'<th scope="col" class="num">([^<]+)(?:<br><span class="muted">'
                       r'第(\d)批)?', page)
    assert sorted(h for h in heads if h[1]) == [("朝阳（北京）", "3"), ("朝阳（辽宁）", "2"),
                                                 ("苏州", "1")]
    assert "无法确定城市" in page and "N-X" in page
    picked = client.get("/programme", params={"from": "2026-01-01", "to": "2026-12-31",
                                              "city": "朝阳（辽宁）"}, headers=html).text
    assert re.findall(r'data-city="([^"]+)" data-metric="dockings_signed"', picked) == [
        "全国", "朝阳（辽宁）"]
    assert '<option value="朝阳（辽宁）" selected>' in picked
    unsure = client.get("/programme", params={"city": "朝阳"}, headers=html)
    assert unsure.status_code == 200 and "请写明省份" in unsure.text
    events = client.get("/programme/events", headers=html).text
    assert '<option value="朝阳（辽宁）">朝阳（辽宁）</option>' in events
