"""An unknown id answers 404 in Chinese over real HTTP, naming the id and what it should have
been: the API (and the CLI) said 'no need with id 'need-nope'' while only the console
translated it. The problem's type keeps its stable code."""

from __future__ import annotations

import httpx
from api_support import headers


def test_unknown_ids_are_404_naming_id_and_kind_in_chinese(live_server: str) -> None:
    asks = {("GET", "/v1/needs/need-nope", "read"): "没有编号为 need-nope 的需求",
            ("GET", "/v1/experts/exp-nope", "read"): "没有编号为 exp-nope 的专家",
            ("GET", "/v1/match/needs/need-nope?target=achievement", "read"):
                "没有编号为 need-nope 的需求",
            ("GET", "/v1/dockings/D-nope", "read"): "没有编号为 D-nope 的对接",
            ("DELETE", "/v1/achievements/ach-nope", "admin"): "没有编号为 ach-nope 的成果"}
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for (method, path, role), said in asks.items():
            r = client.request(method, path, headers=headers(role))
            assert r.status_code == 404, (path, r.text)
            body = r.json()
            assert body["type"] == "urn:techmatch:problem:not-found", path
            assert body["detail"] == said, (path, body)
        docking = client.post("/v1/dockings", headers=headers("write"),
                              json={"need_id": "need-blade", "candidate_id": "ach-nope"})
    assert docking.status_code == 404, docking.text
    assert docking.json()["detail"] == "没有编号为 ach-nope 的成果或专家"
