"""Rejecting a match as 需求已解决 (already_solved) closes the need — through the API's feedback,
a docking drop on the board's API and the console's 拒绝 alike (one shared path) — with who
and when in the docking's history; editing the need's status back reopens it for good.
Before, the need stayed open and the nightly batch and 工作台 kept treating it as open."""

from __future__ import annotations

from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine
from techmatch.matcher.plans import open_needs

W = headers("write")
NOTE = "需求已解决：需求状态改为已关闭（如需重新开放，请编辑需求状态）"


def _status(client: TestClient, need_id: str) -> str:
    return str(client.get(f"/v1/needs/{need_id}", headers=W).json()["status"])


def _history(client: TestClient, need_id: str, candidate_id: str) -> list[dict]:
    found = client.get(f"/v1/dockings?need_id={need_id}&candidate_id={candidate_id}",
                       headers=W).json()["items"]
    assert len(found) == 1, found
    return list(client.get(f"/v1/dockings/{found[0]['id']}/history", headers=W).json())


def test_feedback_rejected_as_already_solved_closes_the_need(client: TestClient,
                                                             engine: Engine) -> None:
    assert "need-blade" in {n.id for n in open_needs(engine)}
    other = client.post("/v1/feedback", headers=W, json={
        "query_id": "need-blade", "candidate_id": "ach-paper", "label": "rejected",
        "reason": "not_relevant"})
    assert other.status_code == 201 and other.json()["need_status"] is None
    assert _status(client, "need-blade") == "open"  # another reason leaves it open
    made = client.post("/v1/feedback", headers=W, json={
        "query_id": "need-blade", "candidate_id": "ach-eddy", "label": "rejected",
        "reason": "already_solved"})
    assert made.status_code == 201, made.text
    assert made.json()["need_status"] == "closed"
    assert _status(client, "need-blade") == "closed"
    assert "need-blade" not in {n.id for n in open_needs(engine)}  # batch, 工作台, plans
    listed = client.get("/v1/needs?status=open", headers=W).json()["items"]
    assert "need-blade" not in {n["id"] for n in listed}
    last = _history(client, "need-blade", "ach-eddy")[-1]
    assert last["to_stage"] == "dropped" and NOTE in last["note"]
    assert last["actor"].startswith("write:") and last["at"]  # who and when
    # reversible: the need edited back to open stays open, also after other dockings move
    need = client.get("/v1/needs/need-blade", headers=W).json()
    put = client.put("/v1/needs/need-blade", headers=W, json={
        **{k: need[k] for k in ("id", "title", "description", "city")}, "status": "open"})
    assert put.status_code == 200, put.text
    assert _status(client, "need-blade") == "open"
    made = client.post("/v1/dockings", headers=W,
                       json={"need_id": "need-blade", "candidate_id": "exp-ndt"})
    moved = client.post(f"/v1/dockings/{made.json()['id']}/moves", headers=W,
                        json={"to": "contacted", "version": 1})
    assert moved.status_code == 200, moved.text
    assert _status(client, "need-blade") == "open"


def test_a_board_drop_as_already_solved_closes_the_need(client: TestClient) -> None:
    made = client.post("/v1/dockings", headers=W,
                       json={"need_id": "need-water", "candidate_id": "ach-ozone"})
    assert made.status_code == 201, made.text
    moved = client.post(f"/v1/dockings/{made.json()['id']}/moves", headers=W,
                        json={"to": "dropped", "version": 1, "reason": "already_solved"})
    assert moved.status_code == 200, moved.text
    assert _status(client, "need-water") == "closed"
    assert NOTE in _history(client, "need-water", "ach-ozone")[-1]["note"]


def test_the_console_reject_as_already_solved_closes_the_need(client: TestClient) -> None:
    console_login(client, "write")
    page = client.get("/needs/need-battery/match", headers={"accept": "text/html"})
    token = csrf_of(page.text)
    done = client.post("/needs/need-battery/match/reject", headers={"accept": "text/html"},
                       data={"candidate_id": "ach-bms", "target": "achievement",
                             "reason": "already_solved", "csrf_token": token})
    assert done.status_code == 200, done.text[-500:]
    assert "需求已解决，需求 need-battery 已关闭" in done.text
    assert _status(client, "need-battery") == "closed"
    assert NOTE in _history(client, "need-battery", "ach-bms")[-1]["note"]
