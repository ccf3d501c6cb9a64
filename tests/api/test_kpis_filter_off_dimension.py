"""KPIs of one city by industry: GET /v1/kpis?city=苏州&by=industry and `techmatch kpis --city
苏州 --by industry` were refused (按城市（city）筛选时需要把它列为统计维度): a filter had to be
among the grouped dimensions. A filter on a dimension not grouped by now keeps only the
dockings and needs with that value; the rows are the industries of 苏州's needs and dockings.
Also: grouped by team, a need with dockings in two teams counts in both rows (the total
counts it once) — the rows of a need are not exclusive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from api_support import headers, sign_docking
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.dockings import NewDocking, create_docking
from techmatch.matcher.dockings.kpis import kpi_report
from techmatch.matcher.engine import Engine
from techmatch.models.records import Achievement, Need
from techmatch.store import Store

WINDOW = {"from": "2026-03-01", "to": "2026-03-31"}


def _industries(report: dict) -> dict[str, tuple[int, float]]:
    return {r["group"]["industry"]: (r["counts"]["signed"], r["deal_value"])
            for r in report["rows"]}


def test_kpis_of_one_city_by_industry(client: TestClient, engine: Engine) -> None:
    engine.store.upsert([
        Need(id="N-SZ1", title="苏州新材料需求", city="苏州", industry="新材料甲"),
        Need(id="N-SZ2", title="苏州装备需求", city="蘇州", industry="高端装备乙"),
        Need(id="N-WX", title="无锡新材料需求", city="无锡", industry="新材料甲")])
    for need, value in (("N-SZ1", 10), ("N-SZ2", 3), ("N-WX", 50)):
        sign_docking(engine, need, value)
    r = client.get("/v1/kpis", params={**WINDOW, "by": "industry", "city": "苏州"},
                   headers=headers("read"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["by"] == ["industry"]
    assert _industries(body) == {"新材料甲": (1, 10.0), "高端装备乙": (1, 3.0)}
    assert (body["total"]["counts"]["signed"], body["total"]["deal_value"]) == (2, 13.0)

    result = CliRunner().invoke(app, ["kpis", "--from", WINDOW["from"], "--to", WINDOW["to"],
                                      "--by", "industry", "--city", "苏州", "--json",
                                      "--home", str(engine.settings.home)])
    assert result.exit_code == 0, result.output
    assert _industries(json.loads(result.stdout)) == _industries(body)
    text = CliRunner().invoke(app, ["kpis", "--from", WINDOW["from"], "--to", WINDOW["to"],
                                    "--by", "industry", "--city", "苏州",
                                    "--home", str(engine.settings.home)])
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[0].endswith("，仅 城市：苏州")
    assert {line.split(" | ")[0] for line in text.stdout.splitlines()[2:]} == {
        "新材料甲", "高端装备乙", "合计"}


def test_a_team_filter_grouped_by_city_and_a_need_in_two_teams(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    posted = dt.datetime(2026, 3, 1, 8, tzinfo=dt.timezone.utc)
    store.upsert([Need(id="N1", title="需求一", city="苏州", industry="新材料",
                       created_at=posted),
                  Need(id="N2", title="需求二", city="无锡", industry="新材料",
                       created_at=posted),
                  *(Achievement(id=f"A{i}", title=f"成果{i}") for i in (1, 2, 3))])
    at = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
    for need, candidate, team in (("N1", "A1", "一队"), ("N1", "A2", "二队"),
                                  ("N2", "A3", "二队")):
        create_docking(store, NewDocking(need_id=need, candidate_id=candidate, team=team),
                       now=at)
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    one = kpi_report(store, start=start, end=end, by=["city"], filters={"team": "一队"})
    assert [(r.group["city"], r.counts["suggested"]) for r in one.rows] == [("苏州", 1)]
    by_team = kpi_report(store, start=start, end=end, by=["team"])
    posted_in = {r.group["team"]: r.counts["needs_posted"] for r in by_team.rows}
    assert posted_in == {"一队": 1, "二队": 2}  # N1 in both rows
    assert by_team.total.counts["needs_posted"] == 2  # distinct needs
    store.close()
