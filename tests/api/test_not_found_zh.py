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


def test_refused_docking_moves_read_in_chinese(live_server: str) -> None:
    """A move the table refuses, a signing without its contract and a stale version answered
    'cannot move from suggested (推荐) to completed (验收); allowed from …', 'signing needs
    the contract: …' and 'docking … is at version 2, not 1: it is now at stage …'."""
    write = headers("write")
    with httpx.Client(base_url=live_server, timeout=60) as client:
        made = client.post("/v1/dockings", headers=write,
                           json={"need_id": "need-water", "candidate_id": "ach-ozone"})
        assert made.status_code == 201, made.text
        moves = f"/v1/dockings/{made.json()['id']}/moves"
        jump = client.post(moves, headers=write, json={"to": "completed", "version": 1})
        ok = client.post(moves, headers=write, json={"to": "contacted", "version": 1})
        stale = client.post(moves, headers=write, json={"to": "confirmed", "version": 1})
    assert jump.status_code == 422, jump.text
    assert jump.json()["errors"] == [{"field": "to", "code": "invalid", "message":
                                      "不能从「推荐」改为「验收」；当前阶段可改为：已联系、终止"}]
    assert ok.status_code == 200, ok.text
    assert stale.status_code == 409, stale.text
    assert stale.json()["detail"].endswith("现处于「已联系」阶段（第 2 版，而不是第 1 版）；"
                                           "请刷新页面后重试")
