"""POST /v1/plans/assign and /v1/plans/roadshow on the tiny API corpus."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

ASSIGN = {"expert_ids": ["exp-ndt", "exp-battery"], "need_ids": ["need-blade", "need-battery"],
          "constraints": {"max_experts_per_need": 1, "min_score": 0.0},
          "why_not": [{"need_id": "need-blade", "expert_id": "exp-battery"}]}


def test_assign_pairs_each_need_with_its_expert(client: TestClient) -> None:
    r = client.post("/v1/plans/assign", json=ASSIGN, headers=headers("write"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "optimal"
    assert {(p["need_id"], p["expert_id"]) for p in body["pairs"]} == {
        ("need-blade", "exp-ndt"), ("need-battery", "exp-battery")}
    assert body["why_not"][0]["reason"] in ("beaten", "need_limit", "capacity_full", "no_gain")


def test_assign_needs_write_role_and_reports_infeasible_as_problem(
        client: TestClient) -> None:
    r = client.post("/v1/plans/assign", json=ASSIGN, headers=headers("read"))
    assert r.status_code == 403
    # 3 experts a need, 2 experts in all: no need can be covered (else a partial plan)
    body = {**ASSIGN, "constraints": {"min_experts_per_need": 3, "max_experts_per_need": 3,
                                      "default_capacity": 1, "min_score": 0.0}}
    r = client.post("/v1/plans/assign", json=body, headers=headers("write"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"].endswith("infeasible")
    assert "total demand 6 > total capacity 2" in problem["detail"]
    assert problem["errors"][0]["field"] == "constraints"


def test_assign_defaults_to_the_minimum_confidence(client: TestClient) -> None:
    """Without `min_score` no pair the service would route to staff is dispatched: the
    battery expert scores below the threshold for need-blade, so a plan with only that
    expert names it; with `min_score` 0 the same plan dispatches the pair."""
    body = {**ASSIGN, "expert_ids": ["exp-battery"], "need_ids": ["need-blade"],
            "constraints": {"max_experts_per_need": 1}}
    r = client.post("/v1/plans/assign", json=body, headers=headers("write"))
    assert r.status_code == 422, r.text
    assert "need need-blade needs at least 1 experts but only 0 allowed (1 below_threshold)" \
        in r.json()["detail"]
    body["constraints"] = {"max_experts_per_need": 1, "min_score": 0.0}
    r = client.post("/v1/plans/assign", json=body, headers=headers("write"))
    assert r.status_code == 200, r.text
    assert [(p["need_id"], p["expert_id"]) for p in r.json()["pairs"]] == [
        ("need-blade", "exp-battery")]
    default = client.post("/v1/plans/assign", json={**ASSIGN, "constraints": {
        "max_experts_per_need": 1}}, headers=headers("write"))
    assert default.status_code == 200, default.text
    assert all(p["score"] >= 0.35 for p in default.json()["pairs"])  # the default threshold


def test_assign_rejects_bad_input(client: TestClient) -> None:
    write = headers("write")
    r = client.post("/v1/plans/assign", json={"need_ids": ["need-blade"]}, headers=write)
    assert r.status_code == 422
    bad = {**ASSIGN, "constraints": {"min_experts_per_need": 3, "max_experts_per_need": 1}}
    r = client.post("/v1/plans/assign", json=bad, headers=write)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.constraints"
    missing = {**ASSIGN, "need_ids": ["need-nope"]}
    assert client.post("/v1/plans/assign", json=missing, headers=write).status_code == 404


def test_roadshow_invites_the_local_enterprise(client: TestClient) -> None:
    body = {"city": "深圳", "slots": 2, "invites_per_achievement": 3, "date": "2026-03-15",
            "min_score": 0.0}
    r = client.post("/v1/plans/roadshow", json=body, headers=headers("write"))
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["date"] == "2026-03-15" and plan["items"]
    invited = {v["need_id"] for item in plan["items"] for v in item["invitees"]}
    assert invited == {"need-battery"}  # the only open need located in 深圳
    r = client.post("/v1/plans/roadshow", json={**body, "city": "拉萨"},
                          headers=headers("write"))
    assert r.status_code == 422 and "拉萨" in r.json()["detail"]


def test_plans_are_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/plans/assign", "/v1/plans/roadshow"} <= set(paths)


def test_assign_min_above_max_says_so(client: TestClient) -> None:
    """min > max answered 'For further information visit https://errors.pydantic.dev/…' (the
    last line of pydantic's message) instead of what is wrong."""
    body = {**ASSIGN, "constraints": {"min_experts_per_need": 5, "max_experts_per_need": 1}}
    r = client.post("/v1/plans/assign", json=body, headers=headers("write"))
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"] == "body.constraints"
    assert error["message"] == ("每个需求的专家数下限（min_experts_per_need = 5）大于上限"
                                "（max_experts_per_need = 1）"), error
    assert "pydantic" not in r.text


def test_assign_refuses_an_override_for_an_expert_not_in_the_plan(client: TestClient) -> None:
    """constraints.capacity {"exp-nd": 0} (a typo for exp-ndt) was ignored without a word and
    exp-ndt dispatched as if no override had been given."""
    body = {**ASSIGN, "constraints": {"max_experts_per_need": 1, "min_score": 0.0,
                                      "capacity": {"exp-nd": 0}}}
    r = client.post("/v1/plans/assign", json=body, headers=headers("write"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "constraints.capacity"
    assert "exp-nd" in r.json()["detail"]
    body["constraints"] = {"min_score": 0.0, "per_need": {"need-bla": [0, 0]}}
    r = client.post("/v1/plans/assign", json=body, headers=headers("write"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "constraints.per_need"


def test_why_not_for_a_need_outside_the_plan_names_the_question(client: TestClient) -> None:
    """why_not [{need-nope, exp-ndt}] answered field 'need_id': unknown id — a field the
    request does not have; the error now names the question (why_not[1].need_id)."""
    body = {**ASSIGN, "why_not": [{"need_id": "need-blade", "expert_id": "exp-ndt"},
                                  {"need_id": "need-nope", "expert_id": "exp-ndt"}]}
    r = client.post("/v1/plans/assign", json=body, headers=headers("write"))
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"] == "why_not[1].need_id" and "need-nope" in error["message"]


def test_assign_gives_the_partial_plan_and_lists_the_uncovered_need(
        client: TestClient) -> None:
    """One need below the minimum confidence for every expert no longer sinks the plan: the
    other need is assigned (200, status partial) and the uncovered one is listed with its
    reason code, Chinese label and text; the diagnostics stay."""
    body = {**ASSIGN, "expert_ids": ["exp-battery"], "constraints": {"max_experts_per_need": 1}}
    r = client.post("/v1/plans/assign", json=body, headers=headers("write"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "partial" and got["status_label"].startswith("部分方案")
    assert [(p["need_id"], p["expert_id"]) for p in got["pairs"]] == [
        ("need-battery", "exp-battery")]
    [left] = got["uncovered"]
    assert (left["need_id"], left["reason"], left["causes"]) == (
        "need-blade", "no_eligible_expert", {"below_threshold": 1})
    assert left["reason_label"] == "没有可分配的专家" and "低于最低置信度 1 位" in left["text"]
    assert "need-blade" in {d["subject"] for d in got["diagnostics"]}
