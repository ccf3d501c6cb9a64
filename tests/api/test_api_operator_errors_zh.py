"""Body checks of the API that still answered in English, raised in Chinese at their source
(the field named, the values kept)."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_an_assignment_without_a_team_or_lists_reads_in_chinese(client: TestClient) -> None:
    """POST /v1/plans/assign with need_ids but no expert_ids (nor a team) answered 422
    'body: give a team, or both expert_ids and need_ids'."""
    response = client.post("/v1/plans/assign", headers=headers("write"),
                           json={"need_ids": ["need-water"]})
    assert response.status_code == 422, response.text
    said = "请给出服务团 team，或同时给出 expert_ids（专家编号）和 need_ids（需求编号）"
    assert response.json()["detail"] == f"body: {said}"
    assert response.json()["errors"][0]["message"] == said
