"""创建日期 over HTTP, on the command line and in the console's 采纳并创建对接 form: a docking
recorded today for work that began last month is created on its day (China date, not after
today; a later one is refused in Chinese naming the field, nothing stored), and then signs
with a contract date on or after that day."""

from __future__ import annotations

import datetime as dt
import json

from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techmatch.cli import app as cli
from techmatch.matcher.engine import Engine
from techmatch.models.programme import china_day, china_today

HTML = {"accept": "text/html"}


def _advance(client: TestClient, did: str) -> None:
    for version, stage in enumerate(("contacted", "confirmed", "negotiating"), 1):
        moved = client.post(f"/v1/dockings/{did}/moves", headers=headers("write"),
                            json={"to": stage, "version": version})
        assert moved.status_code == 200, moved.text


def _history(client: TestClient, did: str) -> list[dict[str, object]]:
    got = client.get(f"/v1/dockings/{did}/history", headers=headers("read"))
    assert got.status_code == 200, got.text
    return list(got.json())


def test_the_api_creates_on_a_past_day_and_refuses_a_future_one(client: TestClient) -> None:
    today = china_today()
    last_month = today - dt.timedelta(days=30)
    future = today + dt.timedelta(days=1)
    refused = client.post("/v1/dockings", headers=headers("write"), json={
        "need_id": "need-blade", "candidate_id": "ach-eddy", "created_on": future.isoformat()})
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [e["field"] for e in errors] == ["created_on"]
    assert errors[0]["message"].startswith(f"{future.isoformat()} 晚于今天"), errors
    listed = client.get("/v1/dockings", headers=headers("read")).json()
    assert listed["total"] == 0
    made = client.post("/v1/dockings", headers=headers("write"), json={
        "need_id": "need-blade", "candidate_id": "ach-eddy",
        "created_on": last_month.isoformat()})
    assert made.status_code == 201, made.text
    did = str(made.json()["id"])
    assert china_day(dt.datetime.fromisoformat(made.json()["created_at"])) == last_month
    assert "实际录入于" in str(_history(client, did)[0]["note"])
    _advance(client, did)
    signed = client.post(f"/v1/dockings/{did}/moves", headers=headers("write"), json={
        "to": "signed", "version": 4, "contract": {
            "contract_type": "license", "value_wan": 12.5,
            "signed_on": (last_month + dt.timedelta(days=2)).isoformat()}})
    assert signed.status_code == 200, signed.text
    assert signed.json()["contract"]["signed_on"] == \
        (last_month + dt.timedelta(days=2)).isoformat()


def test_the_cli_creates_on_a_past_day_and_names_a_bad_one(client: TestClient,
                                                           engine: Engine) -> None:
    home = str(engine.settings.home)
    args = ["dockings", "create", "need-blade", "ach-bms", "--home", home]
    future = (china_today() + dt.timedelta(days=2)).isoformat()
    refused = CliRunner().invoke(cli, [*args, "--created-on", future])
    assert refused.exit_code == 2, refused.output
    assert f"字段 created_on：{future} 晚于今天" in refused.output
    bad = CliRunner().invoke(cli, [*args, "--created-on", "上个月"])
    assert bad.exit_code == 2, bad.output
    assert "created_on" in bad.output and "不是日期" in bad.output
    day = china_today() - dt.timedelta(days=10)
    done = CliRunner().invoke(cli, [*args, "--created-on", day.isoformat(), "--json"])
    assert done.exit_code == 0, done.output
    made = json.loads(done.output)[0]
    assert china_day(dt.datetime.fromisoformat(made["created_at"])) == day


def test_the_console_accept_form_takes_a_creation_date(client: TestClient) -> None:
    console_login(client, "write")
    page = client.get("/needs/need-blade/match", headers=HTML)
    assert page.status_code == 200, page.text[-2000:]
    assert "创建日期（补录时填写，不填为今天）" in page.text
    token = csrf_of(page.text)
    form = {"candidate_id": "ach-eddy", "target": "achievement", "csrf_token": token}
    future = (china_today() + dt.timedelta(days=3)).isoformat()
    refused = client.post("/needs/need-blade/match/accept", headers=HTML,
                          follow_redirects=False, data={**form, "created_on": future})
    assert refused.status_code == 400, refused.text[-2000:]
    assert f"创建日期：{future} 晚于今天" in refused.text
    assert client.get("/v1/dockings", headers=headers("read")).json()["total"] == 0
    day = china_today() - dt.timedelta(days=5)
    done = client.post("/needs/need-blade/match/accept", headers=HTML,
                       follow_redirects=False, data={**form, "created_on": day.isoformat()})
    assert done.status_code == 303, done.text[-2000:]
    made = client.get("/v1/dockings", headers=headers("read")).json()["items"][0]
    assert china_day(dt.datetime.fromisoformat(made["created_at"])) == day
