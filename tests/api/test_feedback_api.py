"""Feedback: record (write key) and list (read key; confidential pairs hidden)."""

from __future__ import annotations

from api_support import SECRET_NEED, headers
from fastapi.testclient import TestClient


def test_record_and_list_feedback(client: TestClient) -> None:
    body = {"query_id": "need-blade", "candidate_id": "ach-eddy", "label": "accepted",
            "note": "企业已约见"}
    created = client.post("/v1/feedback", json=body, headers=headers("write"))
    assert created.status_code == 201
    assert created.json()["actor"].startswith("write:") and created.json()["fid"] >= 1
    listed = client.get("/v1/feedback?query_id=need-blade", headers=headers("read")).json()
    assert listed["total"] == 1 and listed["items"][0]["label"] == "accepted"


def test_rejection_needs_a_reason(client: TestClient) -> None:
    body = {"query_id": "need-blade", "candidate_id": "ach-eddy", "label": "rejected"}
    response = client.post("/v1/feedback", json=body, headers=headers("write"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"


def test_unknown_or_mismatched_pair(client: TestClient) -> None:
    missing = {"query_id": "need-blade", "candidate_id": "nope", "label": "accepted"}
    assert client.post("/v1/feedback", json=missing, headers=headers("write")).status_code == 404
    wrong = {"query_id": "need-blade", "candidate_id": "need-water", "label": "accepted"}
    assert client.post("/v1/feedback", json=wrong, headers=headers("write")).status_code == 422


def test_confidential_feedback_hidden_from_read_key(client: TestClient) -> None:
    body = {"query_id": SECRET_NEED, "candidate_id": "ach-bms", "label": "contacted"}
    assert client.post("/v1/feedback", json=body, headers=headers("admin")).status_code == 201
    assert client.get("/v1/feedback", headers=headers("read")).json()["total"] == 0
    assert client.get("/v1/feedback", headers=headers("write")).json()["total"] == 1
    hidden = client.get(f"/v1/feedback?query_id={SECRET_NEED}", headers=headers("read"))
    assert (hidden.status_code, hidden.json()["total"]) == (200, 0)  # as an unknown id


def test_feedback_moves_follow_the_homes_service_levels(client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    """A docking moved by POST /v1/feedback got the default due date, ignoring the home's
    service_levels.json that moves on the board and /v1/dockings obey."""
    import datetime as dt
    import json

    from techmatch.matcher.dockings import load_levels

    (engine.settings.home / "service_levels.json").write_text(
        json.dumps({"days": {"contacted": 2}}), encoding="utf-8")
    body = {"query_id": "need-blade", "candidate_id": "ach-eddy", "label": "contacted"}
    assert client.post("/v1/feedback", json=body, headers=headers("write")).status_code == 201
    [docking] = client.get("/v1/dockings?need_id=need-blade&candidate_id=ach-eddy",
                           headers=headers("read")).json()["items"]
    entered = dt.datetime.fromisoformat(docking["stage_at"])
    assert docking["due_on"] == load_levels(engine.settings.home).due_on(
        "contacted", entered).isoformat()


def test_an_unknown_id_in_the_body_is_named_as_a_field(client: TestClient) -> None:
    """POST /v1/feedback with an unknown need or candidate answered 404 with errors: [] —
    a client could not tell which of the two ids the message was about."""
    for body, field in (({"query_id": "need-gone", "candidate_id": "ach-eddy"}, "query_id"),
                        ({"query_id": "need-blade", "candidate_id": "ach-gone"},
                         "candidate_id")):
        response = client.post("/v1/feedback", json={**body, "label": "accepted"},
                               headers=headers("write"))
        assert response.status_code == 404
        problem = response.json()
        assert [e["field"] for e in problem["errors"]] == [field], problem
        assert body[field] in problem["errors"][0]["message"]


def test_the_answer_says_what_the_judgement_moved(client: TestClient) -> None:
    """POST /v1/feedback answered with the judgement only: a client could not tell that the
    pair's docking was now 签约 nor that the need had become matched (left the batch)."""
    body = {"query_id": "need-water", "candidate_id": "ach-ozone", "label": "deal"}
    created = client.post("/v1/feedback", json=body, headers=headers("write"))
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["stage"] == "signed" and out["stage_label"] == "签约"
    assert out["docking_id"].startswith("DK") and out["need_id"] == "need-water"
    assert out["need_status"] == "matched"
    docking = client.get(f"/v1/dockings/{out['docking_id']}", headers=headers("read"))
    assert docking.status_code == 200 and docking.json()["stage"] == "signed"
