"""A docking import that cannot be read names the uploaded file by its own name (as the record
uploads and the programme imports do), not `<path>` (the scrubbed server temp path)."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient


def test_damaged_workbook_is_named_by_its_upload_name(client: TestClient) -> None:
    response = client.post("/v1/dockings/import", headers=headers("write"), files={
        "file": ("对接记录（损坏）.xlsx", b"PK\x03\x04 not a workbook",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert "文件 对接记录_损坏_.xlsx：" in detail, detail
    assert "<path>" not in detail and "techmatch-dockings-" not in detail
