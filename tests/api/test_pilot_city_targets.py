"""年度目标 by city with two pilot cities of one name (朝阳 in 辽宁 and in 北京) and 苏州, over
the API (/v1/programme/targets?city=) and the CLI (techmatch programme targets --city); a
pilot city's target is stored and listed under its id (朝阳（北京）, 苏州（江苏）).

Before, the filter compared city names as written: 朝阳（北京） missed the target stored as
朝阳(北京市), 苏州（江苏） found nothing, and a bare 朝阳 — which two pilot cities share — was
answered as if it named one. The filter now keys cities as the dashboard does
(places.Places): the pilot-city id in any writing, a unique bare name as before, and a shared
bare name refused (422 / exit 2) listing the ids.
"""

from __future__ import annotations

import json
from pathlib import Path

from api_support import TWO_CHAOYANG, headers, import_pilot_cities
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techmatch.cli import app

CITIES = TWO_CHAOYANG
TARGETS = [{"year": 2026, "city": "朝阳（辽宁）", "metric": "dockings_signed", "value": 2},
           {"year": 2026, "city": "朝阳(北京市)", "metric": "dockings_signed", "value": 5},
           {"year": 2026, "city": "苏州", "metric": "dockings_signed", "value": 4},
           {"year": 2026, "city": "苏州", "metric": "events", "value": 3}]


def _values(found: list[dict]) -> list[tuple[str, str, float]]:
    return sorted((t["city"], t["metric"], t["value"]) for t in found)


def test_targets_filter_by_pilot_city_over_the_api(client: TestClient) -> None:
    import_pilot_cities(client)
    r = client.put("/v1/programme/targets", headers=headers("write"), json=TARGETS)
    assert r.status_code == 200, r.text

    def get(city: str) -> object:
        return client.get("/v1/programme/targets", params={"city": city},
                          headers=headers("read"))

    for asked in ("朝阳（北京）", "朝阳(北京)", "朝阳（北京市）"):
        r = get(asked)
        assert r.status_code == 200, r.text
        assert _values(r.json()) == [("朝阳（北京）", "dockings_signed", 5)], asked
    assert _values(get("朝阳(辽宁省)").json()) == [("朝阳（辽宁）", "dockings_signed", 2)]
    suzhou = [("苏州（江苏）", "dockings_signed", 4), ("苏州（江苏）", "events", 3)]
    assert _values(get("苏州").json()) == suzhou
    assert _values(get("苏州（江苏）").json()) == suzhou
    both = get("朝阳")
    assert both.status_code == 422, both.text
    assert "请写明省份" in both.text and "朝阳（北京）" in both.text and "朝阳（辽宁）" in both.text
    assert len(client.get("/v1/programme/targets", headers=headers("read")).json()) == 4


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["programme", *args, "--home", str(home)])
    return result.exit_code, result.stdout, result.stderr


def test_targets_filter_by_pilot_city_on_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "cities.csv").write_text(CITIES, encoding="utf-8")
    (tmp_path / "targets.csv").write_text(
        "年度,城市,指标,目标值\n2026,朝阳（辽宁）,签约对接数,2\n2026,朝阳(北京市),签约对接数,5\n"
        "2026,苏州,签约对接数,4\n", encoding="utf-8")
    assert _run(home, "import", "city", str(tmp_path / "cities.csv"))[0] == 0
    assert _run(home, "import", "target", str(tmp_path / "targets.csv"))[0] == 0

    code, out, err = _run(home, "targets", "--city", "朝阳（北京）", "--json")
    assert code == 0, err
    assert _values(json.loads(out)) == [("朝阳（北京）", "dockings_signed", 5)]
    code, out, err = _run(home, "targets", "--city", "苏州（江苏）", "--json")
    assert code == 0, err
    assert _values(json.loads(out)) == [("苏州（江苏）", "dockings_signed", 4)]
    code, out, _ = _run(home, "targets", "--city", "苏州", "--json")
    assert code == 0 and _values(json.loads(out)) == [("苏州（江苏）", "dockings_signed", 4)]
    code, out, err = _run(home, "targets", "--city", "朝阳")
    assert code == 2, out
    assert "请写明省份" in err and "朝阳（北京）" in err and "朝阳（辽宁）" in err


def test_a_pilot_city_target_written_two_ways_is_one_target(client: TestClient) -> None:
    """A target set again with the id (朝阳（北京）) after one typed 朝阳(北京市) was stored as a
    second row: the board kept whichever sorted last (the old 5), and DELETE with the id
    found neither (English 404). Setting replaces every writing of the pilot city; deleting
    removes them; a bare shared name still deletes the target typed with that bare name."""
    import_pilot_cities(client)
    first = [{"year": 2026, "city": "朝阳(北京市)", "metric": "dockings_signed", "value": 5},
             {"year": 2026, "city": "朝阳（辽宁）", "metric": "dockings_signed", "value": 2}]
    assert client.put("/v1/programme/targets", headers=headers("write"),
                      json=first).status_code == 200
    # a shared bare name: PUT refuses it (test_target_pilot_city_writing), an import warns
    bare = "年度,城市,指标,目标值\n2026,朝阳,签约对接数,1\n".encode()
    assert client.post("/v1/programme/import/target", headers=headers("write"), files={
        "file": ("targets.csv", bare, "text/csv")}).status_code == 200
    again = [{"year": 2026, "city": "朝阳（北京）", "metric": "dockings_signed", "value": 6}]
    assert client.put("/v1/programme/targets", headers=headers("write"),
                      json=again).status_code == 200
    found = client.get("/v1/programme/targets", params={"city": "朝阳（北京）"},
                       headers=headers("read")).json()
    assert _values(found) == [("朝阳（北京）", "dockings_signed", 6)]
    board = client.get("/v1/programme/dashboard", headers=headers("read"), params={
        "start": "2026-01-01", "end": "2026-12-31", "city": "朝阳（北京）"}).json()
    cell = next(c for c in board["cities"][0]["cells"] if c["metric"] == "dockings_signed")
    assert cell["target"] == 6

    admin = headers("admin")
    gone = client.delete("/v1/programme/targets", headers=admin, params={
        "year": 2026, "city": "朝阳(北京)", "metric": "签约对接数"})
    assert gone.status_code == 204, gone.text
    assert client.get("/v1/programme/targets", params={"city": "朝阳（北京）"},
                      headers=headers("read")).json() == []
    bare = client.delete("/v1/programme/targets", headers=admin, params={
        "year": 2026, "city": "朝阳", "metric": "dockings_signed"})
    assert bare.status_code == 204, bare.text
    left = client.get("/v1/programme/targets", headers=headers("read")).json()
    assert _values(left) == [("朝阳（辽宁）", "dockings_signed", 2)]
    missing = client.delete("/v1/programme/targets", headers=admin, params={
        "year": 2026, "city": "朝阳（北京）", "metric": "dockings_signed"})
    assert missing.status_code == 404 and "没有" in missing.text and "朝阳（北京）" in missing.text


def test_an_import_setting_a_pilot_city_target_again_reports_an_update(
        client: TestClient) -> None:
    import_pilot_cities(client)
    for value, created, updated in ((5, ["2026/朝阳(北京市)/dockings_signed"], []),
                                    (6, [], ["2026/朝阳（北京）/dockings_signed"])):
        city = "朝阳(北京市)" if value == 5 else "朝阳（北京）"
        csv = f"年度,城市,指标,目标值\n2026,{city},签约对接数,{value}\n".encode()
        r = client.post("/v1/programme/import/target", headers=headers("write"),
                        files={"file": ("targets.csv", csv, "text/csv")})
        assert r.status_code == 200, r.text
        assert (r.json()["created"], r.json()["updated"]) == (created, updated)
    found = client.get("/v1/programme/targets", headers=headers("read")).json()
    assert _values(found) == [("朝阳（北京）", "dockings_signed", 6)]
