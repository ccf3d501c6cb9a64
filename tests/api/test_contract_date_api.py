"""签约日期 over HTTP, in the console's signing form and on the command line: it may be left out
(the signing is dated the day it is recorded, China date) and a date after today or before
the docking was created is refused naming the field, in Chinese, with nothing stored."""

from __future__ import annotations

import datetime as dt
import re

from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techmatch.cli import app as cli
from techmatch.matcher.engine import Engine
from techmatch.models.programme import china_today

HTML = {"accept": "text/html"}


def _negotiating(client: TestClient, cand: str) -> str:
    made = client.post("/v1/dockings", headers=headers("write"),
                       json={"need_id": "need-blade", "candidate_id": cand})
    assert made.status_code == 201, made.text
    did = str(made.json()["id"])
    for version, stage in enumerate(("contacted", "confirmed", "negotiating"), 1):
        moved = client.post(f"/v1/dockings/{did}/moves", headers=headers("write"),
                            json={"to": stage, "version": version})
        assert moved.status_code == 200, moved.text
    return did


def _sign(client: TestClient, did: str, **contract: object):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/dockings/{did}/moves", headers=headers("write"), json={
        "to": "signed", "version": 4,
        "contract": {"contract_type": "license", "value_wan": 12.5, **contract}})


def test_the_api_dates_a_signing_today_and_refuses_a_future_or_early_date(
        client: TestClient) -> None:
    today = china_today()
    did = _negotiating(client, "ach-eddy")
    for day, said in ((today + dt.timedelta(days=1), "晚于今天"),
                      (today - dt.timedelta(days=1), "早于这条对接的创建日期")):
        refused = _sign(client, did, signed_on=day.isoformat())
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        assert [e["field"] for e in errors] == ["signed_on"]
        assert errors[0]["message"].startswith(f"{day.isoformat()} {said}"), errors
        got = client.get(f"/v1/dockings/{did}", headers=headers("read")).json()
        assert (got["stage"], got["contract"]) == ("negotiating", None)
    signed = _sign(client, did)
    assert signed.status_code == 200, signed.text
    assert signed.json()["contract"]["signed_on"] == today.isoformat()


def test_the_console_form_signs_without_a_date_and_names_a_bad_one(
        client: TestClient) -> None:
    today = china_today()
    did = _negotiating(client, "ach-bms")
    console_login(client, "write")
    page = client.get(f"/dockings/{did}", headers=HTML)
    assert "签约日期（合同签订日，统计按此日计入；不填为今天）" in page.text
    token = csrf_of(page.text)
    form = {"to": "signed", "version": "4", "contract_type": "license", "value_wan": "8",
            "csrf_token": token}
    future = (today + dt.timedelta(days=3)).isoformat()
    refused = client.post(f"/dockings/{did}/move", headers=HTML, follow_redirects=False,
                          data={**form, "signed_on": future})
    assert refused.status_code == 400
    assert re.search(rf'<span class="field-error" id="err-cd-{did}">{future} 晚于今天（'
                     rf'{today.isoformat()}，北京时间）：签约日期应为合同实际签订的日期</span>',
                     refused.text), refused.text[-3000:]
    assert f'value="{future}"' in refused.text  # what was typed is kept
    done = client.post(f"/dockings/{did}/move", headers=HTML, follow_redirects=False,
                       data={**form, "signed_on": ""})
    assert done.status_code == 303, done.text[-2000:]
    got = client.get(f"/v1/dockings/{did}", headers=headers("read")).json()
    assert got["contract"]["signed_on"] == today.isoformat()


def test_the_cli_names_a_bad_date_in_chinese(client: TestClient, engine: Engine) -> None:
    did = _negotiating(client, "ach-ozone")
    future = (china_today() + dt.timedelta(days=2)).isoformat()
    home = str(engine.settings.home)
    args = ["dockings", "move", did, "--to", "signed", "--contract-type", "service",
            "--value", "3", "--home", home]
    refused = CliRunner().invoke(cli, [*args, "--signed-on", future])
    assert refused.exit_code == 2, refused.output
    assert f"字段 signed_on：{future} 晚于今天" in refused.output
    done = CliRunner().invoke(cli, [*args, "--json"])
    assert done.exit_code == 0, done.output
    got = client.get(f"/v1/dockings/{did}", headers=headers("read")).json()
    assert got["contract"]["signed_on"] == china_today().isoformat()
