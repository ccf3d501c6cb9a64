"""A console page that failed on a server file (a broken <home>/retrieval.json) showed every
staff member, read sessions included, the server's file-system path
(/srv/…/home/retrieval.json), which the API's answer to the same failure hides as <path>."""

from __future__ import annotations

import re

from api_support import console_login
from fastapi.testclient import TestClient
from test_console_decide import HTML

from techmatch.matcher.engine import Engine


def test_console_error_page_hides_server_paths(client: TestClient, engine: Engine) -> None:
    console_login(client, "write")
    (engine.settings.home / "retrieval.json").write_text('{"mode": "bogus"', encoding="utf-8")
    response = client.get("/needs?q=电池", headers=HTML)
    assert response.status_code == 500
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert str(engine.settings.home) not in text
    assert "调优检索参数文件 &lt;path&gt; 不是有效的 JSON" in response.text, text[-400:]
