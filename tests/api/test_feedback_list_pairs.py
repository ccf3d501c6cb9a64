"""GET /v1/feedback listed every item with docking_id and need_id null (only the POST answer
carried them), so an integrator could not tell which need an achievement → need judgement
was about without a second lookup. The list now gives each item's need and the pair's
docking; stage / need_status stay what the judgement did (POST answer only)."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_listed_feedback_names_its_need_and_docking(client: TestClient) -> None:
    posted = {}
    for query, candidate, label in (("need-blade", "ach-eddy", "accepted"),
                                    ("ach-bms", "need-water", "contacted")):
        r = client.post("/v1/feedback", json={"query_id": query, "candidate_id": candidate,
                                              "label": label}, headers=headers("write"))
        assert r.status_code == 201, r.text
        posted[r.json()["fid"]] = (r.json()["need_id"], r.json()["docking_id"])
    assert sorted(n for n, _ in posted.values()) == ["need-blade", "need-water"]
    listed = client.get("/v1/feedback", headers=headers("read"))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert {i["fid"]: (i["need_id"], i["docking_id"]) for i in items} == posted
    assert all(i["stage"] is None and i["stage_label"] is None for i in items)
    one = client.get("/v1/feedback", params={"query_id": "ach-bms"},
                     headers=headers("read")).json()["items"]
    assert [i["need_id"] for i in one] == ["need-water"]
