"""A docking whose need or candidate was deleted after it ended (终止 / 验收) showed a bare id on
the 对接看板 and the docking page, linked to 记录不存在; it now says 已删除 and links nowhere."""

from __future__ import annotations

import re

from api_support import console_login
from fastapi.testclient import TestClient

from techmatch.matcher.dockings.tracking import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.engine import Engine

HTML = {"accept": "text/html"}



def test_a_deleted_candidate_is_named_deleted_on_the_board_and_the_docking(
        client: TestClient, engine: Engine) -> None:
    docking = create_docking(engine.store, NewDocking("need-blade", "ach-eddy"))
    move_docking(engine.store, docking.id, Move(to="dropped", reason="too_costly"))
    engine.store.delete("ach-eddy")
    console_login(client, "write")
    for page in (client.get("/dockings", headers=HTML), client.get(f"/dockings/{docking.id}",
                                                                    headers=HTML)):
        assert page.status_code == 200
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
        assert "ach-eddy 已删除" in text, text[:2000]
        assert 'href="/achievements/ach-eddy"' not in page.text
        assert 'href="/needs/need-blade"' in page.text  # the live side keeps its link
