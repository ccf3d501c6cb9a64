"""An expert's explanation lists only works that still exist: after an achievement was
deleted, the expert's card read 'A004' with an empty title (and 0 scores), a link to a page
that no longer exists."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_a_deleted_work_is_not_listed(client: TestClient) -> None:
    before = client.get("/v1/match/needs/need-blade", headers=headers("read"),
                        params={"target": "expert", "k": 5}).json()
    [ndt] = [h for h in before["hits"] if h["id"] == "exp-ndt"]
    assert [w["id"] for w in ndt["explanation"]["works"]] == ["ach-eddy"]
    assert ndt["explanation"]["works"][0]["title"]
    gone = client.delete("/v1/achievements/ach-eddy", headers=headers("write"),
                         params={"wait": "true"})
    assert gone.status_code == 200, gone.text
    after = client.get("/v1/match/needs/need-blade", headers=headers("read"),
                       params={"target": "expert", "k": 5}).json()
    [ndt] = [h for h in after["hits"] if h["id"] == "exp-ndt"]
    assert ndt["explanation"]["works"] == []
