"""A need's page had no way to its dockings: staff reached them only by typing the need's id
into the 对接看板's 需求编号 filter. The page now links to the board filtered to the need."""

from __future__ import annotations

import re

from api_support import console_login
from fastapi.testclient import TestClient

from techmatch.matcher.dockings.tracking import NewDocking, create_docking

HTML = {"accept": "text/html"}


def test_a_need_page_links_to_its_dockings(client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    made = create_docking(engine.store, NewDocking(need_id="need-blade", candidate_id="ach-eddy"))
    console_login(client, "read")
    page = client.get("/needs/need-blade", headers=HTML)
    assert page.status_code == 200
    link = re.search(r'<a class="button" href="(/dockings\?need=[^"]+)">查看对接</a>', page.text)
    assert link is not None, "no 查看对接 link on the need's page"
    board = client.get(link.group(1).replace("&amp;", "&"), headers=HTML)
    assert board.status_code == 200
    assert made.id in board.text
