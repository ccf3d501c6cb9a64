"""DELETE /v1/achievements/{id} of an achievement an open docking works on answered 200 and
left the docking with a bare id; it is now 409 naming the docking (nothing deleted)."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

from techmatch.matcher.dockings.tracking import NewDocking, create_docking
from techmatch.matcher.engine import Engine


def test_delete_of_a_docked_record_is_409_naming_the_docking(client: TestClient,
                                                              engine: Engine) -> None:
    docking = create_docking(engine.store, NewDocking("need-blade", "ach-eddy"))
    response = client.delete("/v1/achievements/ach-eddy", headers=headers("write"))
    assert response.status_code == 409, response.text
    assert f"{docking.id}（推荐）" in response.json()["detail"]
    assert client.get("/v1/achievements/ach-eddy", headers=headers("read")).status_code == 200
