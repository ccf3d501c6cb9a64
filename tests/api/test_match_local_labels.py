"""The OpenAPI page's words for prefer_local / require_local say what the service does:
require_local keeps the need's CITY when it has one (its province only when it has no city),
prefer_local adds most for the same city and half for the same province."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_local_options_are_described_as_they_behave(client: TestClient) -> None:
    """They read 只要同省 / 同省优先: for a 苏州 need, require_local dropped a 无锡 achievement
    of the same province, which the label promised to keep."""
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/v1/match/needs/{need_id}"]["get"]
              ["parameters"]}
    body = spec["components"]["schemas"]["MatchNeedRequest"]["properties"]
    for described in (params["require_local"]["description"],
                      body["require_local"]["description"]):
        assert "同城" in described and "没有城市时" in described and described != "只要同省"
    for described in (params["prefer_local"]["description"], body["prefer_local"]["description"]):
        assert "同城" in described and "同省" in described and described != "同省优先"
