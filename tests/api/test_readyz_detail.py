"""/readyz answers without a key (load balancers and probes call it), and a failed start's
reason went with it: the store's URL with its user, host and database name (password masked)
to anyone who could reach the port. Without a valid key the reason now points to the server
log; a caller with a key (any role) still reads it whole."""

from __future__ import annotations

from api_support import headers, wait_ready
from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.matcher.engine import Engine

REASON = ("存储数据库不可用 (store database unavailable): postgresql://tm_app:***@10.1.2.3:5432/"
          "techmatch_prod: OperationalError: connection refused")


def test_a_failed_starts_reason_needs_a_key(engine: Engine) -> None:
    with TestClient(create_app(engine.settings, engine=engine)) as client:
        wait_ready(client)
        state = client.app.state.tm  # type: ignore[attr-defined]
        state.phase, state.error = "error", REASON
        anonymous = client.get("/readyz")
        assert anonymous.status_code == 503 and anonymous.json()["status"] == "error"
        detail = anonymous.json()["detail"]
        assert "10.1.2.3" not in detail and "tm_app" not in detail and "服务器日志" in detail
        bad_key = client.get("/readyz", headers={"X-API-Key": "not-a-key"}).json()["detail"]
        assert "10.1.2.3" not in bad_key
        keyed = client.get("/readyz", headers=headers("read"))
        assert keyed.status_code == 503 and "10.1.2.3" in keyed.json()["detail"]
