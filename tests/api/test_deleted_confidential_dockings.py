"""Deleting a confidential need whose dockings had ended (终止 / 验收 are history, so the
delete is allowed) made those dockings visible to read keys — need id, candidate, stage,
contract — because only live needs were known to be confidential. A confidential need's
tombstone now stays marked, and its dockings stay hidden from read keys."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

from techmatch.matcher.dockings.tracking import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.engine import Engine
from techmatch.models.records import Need


def _ids(client: TestClient, role: str) -> set[str]:
    response = client.get("/v1/dockings", headers=headers(role))
    assert response.status_code == 200, response.text
    return {d["id"] for d in response.json()["items"]}


def test_dockings_of_a_deleted_confidential_need_stay_hidden_from_read_keys(
        client: TestClient, engine: Engine) -> None:
    engine.store.upsert([Need(id="need-secret", title="保密的工艺难题", confidential=True)])
    secret = create_docking(engine.store, NewDocking("need-secret", "ach-eddy"))
    move_docking(engine.store, secret.id, Move(to="dropped", reason="too_costly"))
    public = create_docking(engine.store, NewDocking("need-blade", "ach-eddy"))
    assert _ids(client, "read") == {public.id}
    assert client.delete("/v1/needs/need-secret", headers=headers("write")).status_code == 200
    assert _ids(client, "read") == {public.id}
    assert _ids(client, "write") == {public.id, secret.id}
