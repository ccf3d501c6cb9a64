"""POST /v1/dockings with an id that is no record: the 404 names the body field that held it,
as POST /v1/feedback does (`errors[0].field` `need_id` / `candidate_id`).

Before, the answer was 没有编号为 … 的需求 with `errors: []`: a client posting both ids could
not tell which one to correct without parsing the Chinese text. Nothing is stored.
"""

from __future__ import annotations

import pytest
from api_support import headers
from fastapi.testclient import TestClient


@pytest.mark.parametrize("body, field, text", [
    ({"need_id": "need-nope", "candidate_id": "ach-eddy"}, "need_id",
     "没有编号为 need-nope 的需求"),
    ({"need_id": "need-blade", "candidate_id": "ach-nope"}, "candidate_id",
     "没有编号为 ach-nope 的成果或专家"),
    ({"need_id": "ach-eddy", "candidate_id": "ach-bms"}, "need_id",
     "没有编号为 ach-eddy 的需求"),
])
def test_an_unknown_id_in_a_new_docking_is_named_by_its_field(
        client: TestClient, body: dict[str, str], field: str, text: str) -> None:
    r = client.post("/v1/dockings", json=body, headers=headers("write"))
    assert r.status_code == 404, r.text
    problem = r.json()
    assert problem["detail"] == text
    assert [(e["field"], e["code"], e["message"]) for e in problem["errors"]] == [
        (field, "not_found", text)]
    listed = client.get("/v1/dockings", headers=headers("read")).json()
    assert listed["total"] == 0
