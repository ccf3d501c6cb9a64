"""API keys, roles, confidential needs and contact fields."""

from __future__ import annotations

import pytest
from api_support import KEYS, SECRET_NEED, headers
from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.api.security import KeyRing, hash_key
from techmatch.config import Settings
from techmatch.errors import ConfigError


def test_keyring_parses_and_authenticates_highest_role() -> None:
    ring = KeyRing.parse(f"read:{hash_key('k1')}, admin:{hash_key('k2')},write:{hash_key('k1')}")
    assert ring.authenticate("k1").role == "write"  # type: ignore[union-attr]
    assert ring.authenticate("k2").role == "admin"  # type: ignore[union-attr]
    assert ring.authenticate("nope") is None
    assert ring.authenticate("k2").key_id == hash_key("k2")[:8]  # type: ignore[union-attr]


@pytest.mark.parametrize("spec, words", [("boss:" + "a" * 64, "未知角色 boss"),
                                         ("read:xyz", "64 位十六进制")])
def test_keyring_rejects_malformed_entries(spec: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        KeyRing.parse(spec)


def test_refuses_to_start_without_keys(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("TECHMATCH_ALLOW_ANONYMOUS", raising=False)
    with pytest.raises(ConfigError, match="TECHMATCH_ALLOW_ANONYMOUS"):
        create_app(Settings(home=tmp_path, api_keys=""))
    monkeypatch.setenv("TECHMATCH_ALLOW_ANONYMOUS", "1")
    assert create_app(Settings(home=tmp_path, api_keys="")).state.tm.anonymous


def test_anonymous_dev_mode_is_admin(engine) -> None:  # noqa: ANN001
    app = create_app(engine.settings.model_copy(update={"api_keys": ""}), engine=engine,
                     allow_anonymous=True)
    with TestClient(app) as client:
        from api_support import wait_ready

        wait_ready(client)
        got = client.get(f"/v1/needs/{SECRET_NEED}")
        assert got.status_code == 200 and got.json()["contact"]


def test_missing_or_wrong_key_is_401(client: TestClient) -> None:
    for extra in ({}, {"X-API-Key": "not-a-key"}):
        response = client.get("/v1/needs", headers=extra)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401
        assert response.json()["type"] == "urn:techmatch:problem:unauthorized"
        assert "密钥" in response.json()["detail"]


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/v1/needs", {"id": "n-x", "title": "新需求"}),
    ("PUT", "/v1/needs/n-x", {"id": "n-x", "title": "新需求"}),
    ("POST", "/v1/needs/batch", {"records": [{"id": "n-x", "title": "新需求"}]}),
    ("DELETE", "/v1/needs/need-blade", None),
    ("POST", "/v1/feedback", {"query_id": "need-blade", "candidate_id": "ach-eddy",
                              "label": "accepted"}),
])
def test_read_key_cannot_write(client: TestClient, method: str, path: str, body: object) -> None:
    response = client.request(method, path, json=body, headers=headers("read"))
    assert response.status_code == 403
    assert "write" in response.json()["detail"]
    assert client.get("/v1/needs/need-blade", headers=headers("read")).status_code == 200


def test_confidential_need_hidden_from_read_key(client: TestClient) -> None:
    read, write = headers("read"), headers("write")
    assert client.get(f"/v1/needs/{SECRET_NEED}", headers=read).status_code == 404
    assert client.get(f"/v1/needs/{SECRET_NEED}", headers=write).status_code == 200
    listed = client.get("/v1/needs", headers=read).json()
    assert SECRET_NEED not in [r["id"] for r in listed["items"]] and listed["total"] == 3
    assert client.get("/v1/needs", headers=write).json()["total"] == 4
    body = {"kind": "need", "text": "锂电池热失控预警 电池管理系统", "k": 10}
    read_hits = client.post("/v1/search", json=body, headers=read).json()["hits"]
    write_hits = client.post("/v1/search", json=body, headers=write).json()["hits"]
    assert SECRET_NEED in [h["id"] for h in write_hits]
    assert SECRET_NEED not in [h["id"] for h in read_hits] and read_hits
    assert [h["rank"] for h in read_hits] == list(range(1, len(read_hits) + 1))
    reverse = client.get("/v1/match/achievements/ach-bms/needs", headers=read).json()["hits"]
    assert SECRET_NEED not in [h["id"] for h in reverse] and reverse
    assert client.get(f"/v1/match/needs/{SECRET_NEED}", headers=read).status_code == 404


def test_contact_removed_for_read_key_only(client: TestClient) -> None:
    read = client.get("/v1/needs/need-blade", headers=headers("read")).json()
    write = client.get("/v1/needs/need-blade", headers=headers("write")).json()
    assert read.get("contact") is None and write["contact"] == "张工 0512-1234"
    hits = client.get("/v1/match/achievements/ach-eddy/needs",
                      headers=headers("read")).json()["hits"]
    assert hits and all("contact" not in (h["record"] or {}) for h in hits)
    admin_hits = client.get("/v1/match/achievements/ach-eddy/needs",
                            headers=headers("admin")).json()["hits"]
    assert any((h["record"] or {}).get("contact") for h in admin_hits)


def test_keys_are_not_stored_in_clear() -> None:
    from api_support import API_KEYS

    assert all(key not in API_KEYS for key in KEYS.values())
