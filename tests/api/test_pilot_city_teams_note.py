"""项目看板's teams note with two pilot cities of one name (朝阳 in 辽宁 and in 北京) and 苏州.

A team listing only 朝阳 (which two pilot cities share) counts in the national column and in
no city row, as the dashboard's 无法确定城市 note says; the teams note explained the gap as
含未列服务城市的团队 (teams listing no city) — the team did list one, it could not be told
which. The note now names each reason: teams whose city cannot be determined (their ids,
pointing at the 无法确定城市 note), teams listing no city, teams listing only 全国.
"""

from __future__ import annotations

from api_support import headers, import_pilot_cities
from fastapi.testclient import TestClient

WINDOW = {"start": "2026-01-01", "end": "2026-12-31", "today": "2026-11-30"}


def _teams_notes(client: TestClient) -> list[str]:
    r = client.get("/v1/programme/dashboard", params=WINDOW, headers=headers("read"))
    assert r.status_code == 200, r.text
    return [n for n in r.json()["notes"] if n.startswith(("teams_formed", "无法确定城市"))]


def _team(team_id: str, *cities: str) -> dict:
    return {"id": team_id, "name": f"团队{team_id}", "cities": list(cities),
            "formed_on": "2026-03-01"}


def test_a_team_of_a_shared_city_name_is_noted_as_undetermined(client: TestClient) -> None:
    import_pilot_cities(client)
    r = client.put("/v1/programme/team", headers=headers("write"),
                   json=[_team("T1", "朝阳"), _team("T2", "苏州")])
    assert r.status_code == 200, r.text
    notes = _teams_notes(client)
    assert any(n.startswith("无法确定城市") and "服务团队 T1" in n for n in notes), notes
    teams = [n for n in notes if n.startswith("teams_formed")]
    assert teams == ["teams_formed: 全国 2 含服务城市无法确定的团队 1 个（T1，见“无法确定城市”），"
                     "各城市合计 1"], notes

    r = client.put("/v1/programme/team", headers=headers("write"),
                   json=[_team("T3"), _team("T4", "全国"), _team("T5", "朝阳（辽宁）", "苏州")])
    assert r.status_code == 200, r.text
    teams = [n for n in _teams_notes(client) if n.startswith("teams_formed")]
    assert teams == [
        "teams_formed: 全国 5 为去重后的数，各城市合计 3（服务多个城市的团队在每个城市各计一次）",
        "teams_formed: 全国 5 含服务城市无法确定的团队 1 个（T1，见“无法确定城市”）、"
        "未列服务城市的团队 1 个、服务城市只填“全国”的团队 1 个，各城市合计 3",
        "teams_formed: 全国 5 含城市填“全国”的记录 1，不在任何城市行中"], teams
