"""A write client that sends a confidential need without its `confidential` field (a PUT to fix
the title, a POST or a batch from a form that has no such box) made it public: read keys
then read it. A body without the field now keeps the stored flag; `"confidential": false`
still makes a need public, and a new need without the field is not confidential."""

from __future__ import annotations

from api_support import SECRET_NEED, headers
from fastapi.testclient import TestClient

TITLE = "锂电池热失控预警与电池管理系统升级（修订）"


def _read_sees(client: TestClient, rid: str) -> bool:
    return client.get(f"/v1/needs/{rid}", headers=headers("read")).status_code == 200


def test_a_body_without_the_flag_keeps_a_need_confidential(client: TestClient) -> None:
    body = {"id": SECRET_NEED, "title": TITLE}
    assert client.put(f"/v1/needs/{SECRET_NEED}?wait=true", json=body,
                      headers=headers("write")).status_code == 200
    assert client.post("/v1/needs?wait=true", json=body,
                       headers=headers("write")).status_code == 200
    assert client.post("/v1/needs/batch?wait=true", json={"records": [body]},
                       headers=headers("write")).status_code == 200
    stored = client.get(f"/v1/needs/{SECRET_NEED}", headers=headers("write")).json()
    assert (stored["title"], stored["confidential"]) == (TITLE, True)
    assert not _read_sees(client, SECRET_NEED)


def test_false_makes_it_public_and_new_needs_default_public(client: TestClient) -> None:
    body = {"id": SECRET_NEED, "title": TITLE, "confidential": False}
    assert client.put(f"/v1/needs/{SECRET_NEED}?wait=true", json=body,
                      headers=headers("write")).status_code == 200
    assert _read_sees(client, SECRET_NEED)
    assert client.post("/v1/needs?wait=true", json={"id": "need-new", "title": "新需求"},
                       headers=headers("write")).status_code == 200
    assert _read_sees(client, "need-new")
