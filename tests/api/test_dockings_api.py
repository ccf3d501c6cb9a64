"""Dockings over HTTP: roles, 422 / 409 / 404 / 403, confidential needs, overdue, import,
KPIs, feedback as a drop, and a history no route can change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from api_support import SECRET_NEED, headers
from fastapi.testclient import TestClient

from techmatch.models.programme import china_today

# signed today: a contract date is never after the signing's record nor before the docking
CONTRACT = {"contract_type": "license", "value_wan": 88.5,
            "signed_on": china_today().isoformat()}


def _create(client: TestClient, need: str = "need-blade", cand: str = "ach-eddy",
            role: str = "write", **extra: object) -> dict:  # type: ignore[type-arg]
    body = {"need_id": need, "candidate_id": cand, "source": "match", "rank": 1,
            "confidence": 0.8, **extra}
    response = client.post("/v1/dockings", json=body, headers=headers(role))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _move(client: TestClient, did: str, to: str, version: int, role: str = "write",
          **extra: object):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/dockings/{did}/moves", json={"to": to, "version": version, **extra},
                       headers=headers(role))


def test_create_move_to_signed_and_read_back(client: TestClient) -> None:
    d = _create(client, owner="张三")
    assert (d["stage"], d["stage_label"], d["version"]) == ("suggested", "推荐", 1)
    assert d["allowed_moves"] == ["contacted", "dropped"] and d["due_on"]
    version = 1
    for stage in ("contacted", "confirmed", "negotiating"):
        response = _move(client, d["id"], stage, version)
        assert response.status_code == 200, response.text
        version = response.json()["version"]
    signed = _move(client, d["id"], "signed", version, contract=CONTRACT).json()
    assert signed["contract_label"] == "技术许可" and signed["contract"]["value_wan"] == 88.5
    need = client.get("/v1/needs/need-blade", headers=headers("read")).json()
    assert need["status"] == "matched"
    got = client.get(f"/v1/dockings/{d['id']}", headers=headers("read")).json()
    assert got["stage"] == "signed" and got["version"] == 5
    history = client.get(f"/v1/dockings/{d['id']}/history", headers=headers("read")).json()
    assert [(h["from_stage"], h["to_stage"]) for h in history][-1] == ("negotiating", "signed")
    assert all(h["actor"].startswith("write:") for h in history)
    listed = client.get("/v1/dockings?stage=signed&owner=张三", headers=headers("read")).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == d["id"]


def test_invalid_move_is_422_naming_from_to_and_allowed(client: TestClient) -> None:
    d = _create(client)
    response = _move(client, d["id"], "signed", 1, contract=CONTRACT)
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "to"
    assert "不能从「推荐」改为「签约」" in body["detail"]
    assert "当前阶段可改为：已联系、终止" in body["detail"]
    drop = _move(client, d["id"], "dropped", 1)
    assert drop.status_code == 422 and drop.json()["errors"][0]["field"] == "reason"


def test_stale_version_is_409_naming_the_current_stage(client: TestClient) -> None:
    d = _create(client)
    assert _move(client, d["id"], "contacted", 1).status_code == 200
    stale = _move(client, d["id"], "confirmed", 1)
    assert stale.status_code == 409
    assert "现处于「已联系」阶段" in stale.json()["detail"]
    assert stale.json()["errors"][0]["field"] == "version"
    dup = client.post("/v1/dockings", json={"need_id": "need-blade", "candidate_id": "ach-eddy"},
                      headers=headers("write"))
    assert dup.status_code == 409


def test_unknown_ids_are_404_and_read_keys_cannot_write(client: TestClient) -> None:
    for path in ("/v1/dockings/DKNOPE", "/v1/dockings/DKNOPE/history"):
        assert client.get(path, headers=headers("read")).status_code == 404
    assert _move(client, "DKNOPE", "contacted", 1).status_code == 404
    assert client.post("/v1/dockings", json={"need_id": "nope", "candidate_id": "ach-eddy"},
                       headers=headers("write")).status_code == 404
    d = _create(client)
    assert _move(client, d["id"], "contacted", 1, role="read").status_code == 403
    assert client.post("/v1/dockings", json={"need_id": "need-water",
                                             "candidate_id": "ach-ozone"},
                       headers=headers("read")).status_code == 403
    assert client.get(f"/v1/dockings/{d['id']}", headers=headers("read")).json()["version"] == 1


def test_reopen_needs_an_admin_key(client: TestClient) -> None:
    d = _create(client)
    dropped = _move(client, d["id"], "dropped", 1, reason="too_costly").json()
    assert dropped["reason_label"] == "成本过高" and dropped["allowed_moves"] == []
    denied = _move(client, d["id"], "contacted", 2)
    assert denied.status_code == 422 and "重新打开需要管理员权限" in denied.json()["detail"]
    reopened = _move(client, d["id"], "contacted", 2, role="admin")
    assert reopened.status_code == 200 and reopened.json()["stage"] == "contacted"


def test_confidential_needs_dockings_are_hidden_from_read_keys(client: TestClient) -> None:
    secret = _create(client, need=SECRET_NEED, cand="ach-bms")
    _create(client, need="need-battery", cand="ach-bms")
    read = client.get("/v1/dockings", headers=headers("read")).json()
    assert read["total"] == 1 and read["items"][0]["need_id"] == "need-battery"
    assert client.get("/v1/dockings", headers=headers("write")).json()["total"] == 2
    for path in (f"/v1/dockings/{secret['id']}", f"/v1/dockings/{secret['id']}/history"):
        assert client.get(path, headers=headers("read")).status_code == 404
        assert client.get(path, headers=headers("write")).status_code == 200
    hidden = client.get(f"/v1/dockings?need_id={SECRET_NEED}", headers=headers("read")).json()
    assert hidden["total"] == 0


def test_import_with_row_errors_overdue_filter_and_kpis(client: TestClient) -> None:
    csv = ("需求编号,候选编号,阶段,负责人,终止原因,合同类型,合同金额（万元）,签约日期,"
           "创建日期,阶段日期\n"
           "need-water,ach-ozone,签约,王五,,技术转让,30,2026-03-01,2026-01-05,2026-03-01\n"
           "need-battery,ach-bms,已联系,王五,,,,,2026-01-05,2026-01-06\n"
           "need-blade,ach-paper,终止,,成本过高,,,,2026-01-05,2026-01-07\n"
           "need-blade,nope,推荐,,,,,,,\n"
           "need-blade,ach-eddy,won,,,,,,,\n"
           "need-water,ach-ozone,推荐,,,,,,,\n")
    response = client.post("/v1/dockings/import", headers=headers("write"),
                           files={"file": ("对接台账.csv", csv.encode("utf-8"), "text/csv")})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["read"], report["imported"], report["rejected"]) == (6, 3, 3)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (5, "candidate_id"), (6, "stage"), (7, "candidate_id")]
    assert client.get("/v1/needs/need-water", headers=headers("read")).json()["status"] == \
        "matched"
    late = client.get("/v1/dockings?overdue=true", headers=headers("read")).json()
    # Contacted on 2026-01-06 (due ten working days later) and signed on 2026-03-01 (验收 due
    # sixty working days later), both still there: overdue. The dropped one never is.
    assert sorted(i["need_id"] for i in late["items"]) == ["need-battery", "need-water"]
    assert all(i["overdue"] for i in late["items"])
    kpis = client.get("/v1/kpis?from=2026-01-01&to=2026-03-31&by=owner",
                      headers=headers("read")).json()
    [wang] = [r for r in kpis["rows"] if r["group"]["owner"] == "王五"]
    assert wang["counts"]["suggested"] == 2 and wang["counts"]["signed"] == 1
    assert wang["deal_value"] == 30.0 and kpis["total"]["counts"]["dropped"] == 1
    bad = client.get("/v1/kpis?from=2026-03-01&to=2026-01-01", headers=headers("read"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to"


def test_feedback_rejected_not_relevant_drops_the_docking(client: TestClient) -> None:
    first = client.get("/v1/match/needs/need-blade?k=3&explain=false",
                       headers=headers("read")).json()["hits"][0]["id"]
    body = {"query_id": "need-blade", "candidate_id": first, "label": "rejected",
            "reason": "not_relevant"}
    assert client.post("/v1/feedback", json=body, headers=headers("write")).status_code == 201
    [d] = client.get(f"/v1/dockings?need_id=need-blade&candidate_id={first}",
                     headers=headers("read")).json()["items"]
    assert (d["stage"], d["reason"], d["source"]) == ("dropped", "not_relevant", "feedback")
    ranking = client.get("/v1/match/needs/need-blade?k=3&explain=false&excluded=true",
                         headers=headers("read")).json()
    assert first not in [h["id"] for h in ranking["hits"]]
    assert [(e["candidate_id"], e["reason"]) for e in ranking["excluded"]] == \
        [(first, "not_relevant")]


def _fill(path: str, did: str) -> str:
    path = path.replace("{docking_id}", did)
    return re.sub(r"\{[^}]+\}", "need-blade", path)


@pytest.mark.slow  # every write route of the app, some of them matching with the real encoder
def test_history_is_append_only_through_every_route(client: TestClient) -> None:
    d = _create(client)
    assert _move(client, d["id"], "contacted", 1).status_code == 200
    url = f"/v1/dockings/{d['id']}/history"
    before = client.get(url, headers=headers("admin")).json()
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths[url.replace(d["id"], "{docking_id}")]) == {"get"}
    forged = {"version": 1, "from_stage": None, "to_stage": "signed", "note": "forged",
              "at": dt.datetime(2020, 1, 1).isoformat(), "actor": "admin:x",
              "docking_id": d["id"], "history": [{"version": 1, "to_stage": "completed"}]}
    tried = 0
    for path, methods in paths.items():
        for method in methods:
            if method not in ("post", "put", "patch", "delete"):
                continue
            client.request(method.upper(), _fill(path, d["id"]), json=forged,
                           headers=headers("admin"))
            tried += 1
    for suffix in ("/history", "/history/1"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = client.request(method, f"/v1/dockings/{d['id']}{suffix}", json=forged,
                                      headers=headers("admin"))
            assert response.status_code in (404, 405), (method, suffix)
    assert tried >= 10
    after = client.get(url, headers=headers("admin")).json()
    assert after[:len(before)] == before  # nothing changed or removed …
    assert all(h["to_stage"] != "signed" and h["note"] != "forged" for h in after)


def test_an_infinite_contract_value_is_422_and_nothing_is_stored(client: TestClient) -> None:
    """`1e999` parses to infinity: stored, it read back as null and made every deal-value KPI
    (and the console's 签约金额 tile) inf / null."""
    d = _create(client)
    version = 1
    for stage in ("contacted", "confirmed", "negotiating"):
        version = _move(client, d["id"], stage, version).json()["version"]
    body = (f'{{"to": "signed", "version": {version}, "contract": {{"contract_type": '
            '"license", "value_wan": 1e999, "signed_on": "2026-11-20"}}')
    response = client.post(f"/v1/dockings/{d['id']}/moves", content=body,
                           headers={**headers("write"), "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.contract.value_wan"
    got = client.get(f"/v1/dockings/{d['id']}", headers=headers("read")).json()
    assert (got["stage"], got["version"], got["contract"]) == ("negotiating", version, None)


def test_a_blank_owner_or_team_is_422_and_nothing_is_stored(client: TestClient) -> None:
    """An owner of only spaces was stripped to '' and stored; the KPIs then counted it as
    未分配 while the docking looked assigned. The console form and the assign route refuse it."""
    for key in ("owner", "team"):
        body = {"need_id": "need-battery", "candidate_id": "ach-eddy", "source": "manual",
                key: "   "}
        response = client.post("/v1/dockings", json=body, headers=headers("write"))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == f"body.{key}"
    listed = client.get("/v1/dockings?need_id=need-battery", headers=headers("read")).json()
    assert not [d for d in listed["items"]
                if (d["need_id"], d["candidate_id"]) == ("need-battery", "ach-eddy")]
