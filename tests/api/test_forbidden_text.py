"""A 403 names, in Chinese, the role the route needs and the caller's role — each with its
stable code beside it (编辑（write）) — and carries the stable problem type `forbidden`.
It read "this operation needs an admin key; yours is write" (English) before."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_403_names_the_needed_role(client: TestClient) -> None:
    admin_only = client.delete("/v1/programme/event/EV-NONE", headers=headers("write"))
    assert admin_only.status_code == 403
    assert admin_only.headers["content-type"] == "application/problem+json"
    body = admin_only.json()
    assert body["type"] == "urn:techmatch:problem:forbidden"
    assert body["detail"] == "此操作需要管理员（admin）权限的密钥，当前密钥为编辑（write）"
    write_only = client.post("/v1/dockings", headers=headers("read"),
                             json={"need_id": "need-blade", "candidate_id": "ach-eddy"})
    assert write_only.json()["detail"] == \
        "此操作需要编辑（write）或更高权限的密钥，当前密钥为只读（read）"
    assert write_only.json()["type"] == "urn:techmatch:problem:forbidden"
