"""对接绩效 by city with two pilot cities of one name (朝阳 in 辽宁 and in 北京) and 苏州, over the
API (/v1/kpis) and the CLI (techmatch kpis --by city).

Before, the KPIs grouped a docking by its need's city name alone: the deals of both 朝阳 were
one row 朝阳. A need now counts under the pilot city the dashboard places it in
(places.Places: name and province), shown with its province where the name is shared
(朝阳（辽宁）); 苏州 and cities no pilot city names (深圳) read as before; a need naming only the
shared name is its own group 朝阳（无法确定城市）. The city filter keys the same way.
"""

from __future__ import annotations

import json

from api_support import headers, import_pilot_cities, sign_docking
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.engine import Engine
from techmatch.models.records import Need

WINDOW = {"from": "2026-03-01", "to": "2026-03-31"}


def _setup(client: TestClient, engine: Engine) -> None:
    import_pilot_cities(client)
    engine.store.upsert([
        Need(id="N-LN", title="辽宁朝阳的需求", city="朝阳", province="辽宁省"),
        Need(id="N-LN2", title="辽宁朝阳的另一需求", city="朝阳(辽宁)"),
        Need(id="N-BJ", title="北京朝阳的需求", city="朝阳", province="北京市"),
        Need(id="N-X", title="不知哪个朝阳的需求", city="朝阳"),
        Need(id="N-SZ", title="苏州的需求", city="苏州", province="江苏"),
        Need(id="N-SH", title="深圳的需求", city="深圳", province="广东")])
    for need, value in (("N-LN", 10), ("N-LN2", 1), ("N-BJ", 20), ("N-X", 7), ("N-SZ", 1),
                        ("N-SH", 2)):
        sign_docking(engine, need, value)


def _cities(report: dict) -> dict[str, tuple[int, float]]:
    return {r["group"]["city"]: (r["counts"]["signed"], r["deal_value"])
            for r in report["rows"]}


EXPECTED = {"朝阳（辽宁）": (2, 11.0), "朝阳（北京）": (1, 20.0), "朝阳（无法确定城市）": (1, 7.0),
            "苏州": (1, 1.0), "深圳": (1, 2.0)}


def test_docking_kpis_tell_same_name_pilot_cities_apart(client: TestClient,
                                                         engine: Engine) -> None:
    _setup(client, engine)
    r = client.get("/v1/kpis", params={**WINDOW, "by": "city"}, headers=headers("read"))
    assert r.status_code == 200, r.text
    assert _cities(r.json()) == EXPECTED
    assert (r.json()["total"]["counts"]["signed"], r.json()["total"]["deal_value"]) == (6, 41.0)

    one = client.get("/v1/kpis", params={**WINDOW, "by": "city", "city": "朝阳(北京市)"},
                     headers=headers("read"))
    assert one.status_code == 200, one.text
    assert _cities(one.json()) == {"朝阳（北京）": (1, 20.0)}
    assert one.json()["total"]["deal_value"] == 20.0
    for asked in ("苏州", "苏州（江苏）"):
        found = client.get("/v1/kpis", params={**WINDOW, "by": "city", "city": asked},
                           headers=headers("read")).json()
        assert _cities(found) == {"苏州": (1, 1.0)}, asked
    assert _cities(client.get("/v1/kpis", params={**WINDOW, "by": "city", "city": "深圳"},
                              headers=headers("read")).json()) == {"深圳": (1, 2.0)}
    both = client.get("/v1/kpis", params={**WINDOW, "by": "city", "city": "朝阳"},
                      headers=headers("read"))
    assert both.status_code == 422, both.text
    assert "请写明省份" in both.text and "朝阳（北京）、朝阳（辽宁）" in both.text

    result = CliRunner().invoke(app, ["kpis", "--from", WINDOW["from"], "--to", WINDOW["to"],
                                      "--by", "city", "--json",
                                      "--home", str(engine.settings.home)])
    assert result.exit_code == 0, result.stderr
    assert _cities(json.loads(result.stdout)) == EXPECTED
    text = CliRunner().invoke(app, ["kpis", "--from", WINDOW["from"], "--to", WINDOW["to"],
                                    "--by", "city", "--home", str(engine.settings.home)])
    assert text.exit_code == 0, text.stderr
    assert {line.split(" | ")[0] for line in text.stdout.splitlines()[2:]} == {
        *EXPECTED, "合计"}
