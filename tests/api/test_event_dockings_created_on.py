"""Invitations of an event turned into dockings (POST /v1/programme/events/{id}/dockings, the
活动 page's 把邀请转为对接) were created today: a roadshow held last week and recorded today
gave dockings created today. They are now created on the event's date, or on a given 创建日期
(created_on; after today: 422 / 400 naming it in Chinese, nothing stored)."""

from __future__ import annotations

import datetime as dt

from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techmatch.cli import app as cli
from techmatch.matcher.engine import Engine
from techmatch.models.programme import china_day, china_today

HTML = {"accept": "text/html"}


def _event(client: TestClient, event_id: str, day: dt.date, achievement: str) -> None:
    saved = client.put("/v1/programme/event", headers=headers("write"), json=[{
        "id": event_id, "type": "roadshow", "title": "技术路演·苏州", "date": day.isoformat(),
        "city": "苏州", "participants": [{
            "role": "invitee", "kind": "enterprise", "name": "企业甲", "need_id": "need-blade",
            "achievement_id": achievement, "status": "invited"}]}])
    assert saved.status_code == 200, saved.text


def _created(client: TestClient, achievement: str) -> list[dt.date]:
    items = client.get("/v1/dockings", params={"candidate_id": achievement},
                       headers=headers("read")).json()["items"]
    return [china_day(dt.datetime.fromisoformat(d["created_at"])) for d in items]


def test_the_api_creates_an_events_dockings_on_its_date(client: TestClient) -> None:
    held = china_today() - dt.timedelta(days=7)
    _event(client, "RS-API", held, "ach-eddy")
    future = (china_today() + dt.timedelta(days=1)).isoformat()
    url = "/v1/programme/events/RS-API/dockings"
    refused = client.post(url, headers=headers("write"), json={"created_on": future})
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["created_on"]
    assert "晚于今天" in refused.json()["errors"][0]["message"]
    assert _created(client, "ach-eddy") == []
    made = client.post(url, headers=headers("write"))  # no body: the event's date
    assert made.status_code == 200, made.text
    assert [x["created"] for x in made.json()] == [True]
    assert _created(client, "ach-eddy") == [held]


def test_the_event_page_form_takes_a_creation_date(client: TestClient) -> None:
    held = china_today() - dt.timedelta(days=7)
    _event(client, "RS-CON", held, "ach-bms")
    console_login(client, "write")
    page = client.get("/programme/events/RS-CON", headers=HTML)
    assert page.status_code == 200, page.text[-2000:]
    assert "创建日期（不填为活动日期" in page.text
    token = csrf_of(page.text)
    url = "/programme/events/RS-CON/dockings"
    future = (china_today() + dt.timedelta(days=3)).isoformat()
    refused = client.post(url, headers=HTML, follow_redirects=False,
                          data={"csrf_token": token, "created_on": future})
    assert refused.status_code == 400, refused.text[-2000:]
    assert f"创建日期：{future} 晚于今天" in refused.text
    assert _created(client, "ach-bms") == []
    done = client.post(url, headers=HTML, follow_redirects=False,
                       data={"csrf_token": token, "created_on": ""})
    assert done.status_code == 303, done.text[-2000:]
    assert _created(client, "ach-bms") == [held]


def test_the_cli_takes_a_creation_date(client: TestClient, engine: Engine) -> None:
    _event(client, "RS-CLI", china_today() - dt.timedelta(days=7), "ach-eddy")
    args = ["programme", "event-dockings", "RS-CLI", "--home", str(engine.settings.home)]
    future = (china_today() + dt.timedelta(days=2)).isoformat()
    refused = CliRunner().invoke(cli, [*args, "--created-on", future])
    assert refused.exit_code == 2, refused.output
    assert f"字段 created_on：{future} 晚于今天" in refused.output
    given = china_today() - dt.timedelta(days=3)
    done = CliRunner().invoke(cli, [*args, "--created-on", given.isoformat(), "--json"])
    assert done.exit_code == 0, done.output
    assert _created(client, "ach-eddy") == [given]
