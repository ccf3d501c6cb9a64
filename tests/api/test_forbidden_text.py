"""A 403 names the role the route needs in plain English: "needs an admin key" (it read
"needs a admin key"), as the docking moves say it; the role code stays the same word."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_403_names_the_needed_role(client: TestClient) -> None:
    admin_only = client.delete("/v1/programme/event/EV-NONE", headers=headers("write"))
    assert admin_only.status_code == 403
    assert admin_only.headers["content-type"] == "application/problem+json"
    assert admin_only.json()["detail"] == "this operation needs an admin key; yours is write"
    write_only = client.post("/v1/dockings", headers=headers("read"),
                             json={"need_id": "need-blade", "candidate_id": "ach-eddy"})
    assert write_only.json()["detail"] == "this operation needs a write key; yours is read"
