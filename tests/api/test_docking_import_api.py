"""Docking import over HTTP when nothing can be loaded."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_an_import_whose_every_row_is_rejected_is_422_naming_rows(client: TestClient) -> None:
    """A ledger whose every row was bad answered 200 OK (imported 0): a client checking the
    status saw success, unlike the records upload and `techmatch dockings import` (exit 2)."""
    csv = ("需求编号,候选编号,阶段\n"
           "need-blade,nope,推荐\n"
           "need-blade,ach-eddy,won\n")
    response = client.post("/v1/dockings/import", headers=headers("write"),
                           files={"file": ("对接台账.csv", csv.encode("utf-8"), "text/csv")})
    assert response.status_code == 422, response.text
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["row 2.candidate_id", "row 3.stage"]
    assert "对接台账.csv" in response.text and "所有行都被拒绝（2 行中 2 行）" in body["detail"]
    listed = client.get("/v1/dockings", headers=headers("read")).json()
    assert listed["total"] == 0
