"""A team dispatch (派出记录) sent to a confidential need: read keys read its need id, its
enterprise and the purpose describing it on /v1/programme/dispatch; now they read the
dispatch without them (as an event that involves one), write keys read it whole."""

from __future__ import annotations

from api_support import SECRET_NEED, headers
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine

SECRET_FIRM = "广东保密储能科技有限公司"
DISPATCH = {"id": "D-SECRET", "team_id": "T01", "city": "广州", "start": "2026-05-10",
            "purpose": "储能电站热失控监测会诊", "enterprises": [SECRET_FIRM, "苏州叶片厂"],
            "need_ids": [SECRET_NEED, "need-blade"], "outcome": "建议气体传感器阵列"}


def _put(client: TestClient, engine: Engine) -> None:
    need = engine.store.get(SECRET_NEED, "need")
    engine.store.upsert([need.model_copy(update={"enterprise": SECRET_FIRM})])
    put = client.put("/v1/programme/dispatch", headers=headers("write"), json=[DISPATCH])
    assert put.status_code == 200, put.text


def test_read_key_reads_a_dispatch_without_the_confidential_need(client: TestClient,
                                                                  engine: Engine) -> None:
    _put(client, engine)
    one = client.get("/v1/programme/dispatch/D-SECRET", headers=headers("read")).json()
    listed = client.get("/v1/programme/dispatch", headers=headers("read")).json()
    assert [d for d in listed if d["id"] == "D-SECRET"] == [one]
    assert one["need_ids"] == ["need-blade"]
    assert one["enterprises"] == ["（保密需求）", "苏州叶片厂"]
    assert one["purpose"] == one["outcome"] == "（含保密需求，内容不公开）"
    assert (one["team_id"], one["city"], one["start"]) == ("T01", "广州", "2026-05-10")
    text = str(listed)
    assert SECRET_NEED not in text and SECRET_FIRM not in text and "热失控" not in text


def test_write_key_reads_the_dispatch_whole(client: TestClient, engine: Engine) -> None:
    _put(client, engine)
    one = client.get("/v1/programme/dispatch/D-SECRET", headers=headers("write")).json()
    assert {k: one[k] for k in DISPATCH} == DISPATCH
