"""A need's status follows its dockings even when the need itself is written again
(PUT, batch, file upload over a real HTTP server; CLI ingest)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from api_support import headers
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.models.dockings import Contract
from techmatch.models.programme import china_today
from techmatch.models.records import Achievement, Need
from techmatch.store import Store

W = headers("write")
# signed today: a contract date is never after the signing's record nor before the docking
CONTRACT = {"contract_type": "license", "value_wan": 88.5,
            "signed_on": china_today().isoformat()}


def _sign(client: httpx.Client, need_id: str, candidate_id: str) -> None:
    made = client.post("/v1/dockings", json={"need_id": need_id, "candidate_id": candidate_id},
                       headers=W)
    assert made.status_code == 201, made.text
    did = made.json()["id"]
    for version, stage in enumerate(("contacted", "confirmed", "negotiating", "signed"), 1):
        body = {"to": stage, "version": version, **({"contract": CONTRACT}
                                                    if stage == "signed" else {})}
        moved = client.post(f"/v1/dockings/{did}/moves", json=body, headers=W)
        assert moved.status_code == 200, moved.text


def _status(client: httpx.Client, need_id: str) -> str:
    return str(client.get(f"/v1/needs/{need_id}", headers=W).json()["status"])


def test_a_resent_need_with_a_signed_docking_stays_matched(live_server: str) -> None:
    """Staff re-uploaded the need sheet (status 开放 / open, or no status column) after a deal
    was signed: the need went back to `open`, into the nightly batch and the open counts."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for need_id, cand in (("need-blade", "ach-eddy"), ("need-water", "ach-ozone"),
                              ("need-battery", "ach-bms")):
            _sign(client, need_id, cand)
            assert _status(client, need_id) == "matched"
        need = client.get("/v1/needs/need-blade", headers=W).json()
        put = client.put("/v1/needs/need-blade", headers=W,
                         json={**{k: need[k] for k in ("id", "title", "description", "city")},
                               "title": "涡轮叶片微裂纹在线检测（修订）", "status": "open"})
        assert put.status_code == 200 and put.json()["status"] == "updated", put.text
        assert _status(client, "need-blade") == "matched"
        batch = client.post("/v1/needs/batch", headers=W, json={"records": [
            {"id": "need-water", "title": "印染废水深度处理（修订）", "status": "open"}]})
        assert batch.status_code == 200, batch.text
        assert _status(client, "need-water") == "matched"
        sheet = "id,title,status\nneed-battery,动力电池热失控预警（修订）,open\n"
        upload = client.post("/v1/needs/upload", headers=W,
                             files={"file": ("需求.csv", sheet.encode(), "text/csv")})
        assert upload.status_code == 200, upload.text
        assert _status(client, "need-battery") == "matched"
        assert client.get("/v1/needs/need-battery", headers=W).json()["title"] == \
            "动力电池热失控预警（修订）"  # the upload itself was stored


def _signed_n1(store: Store) -> None:
    """Need N1 with a docking to A1 walked to 签约 (the need becomes matched)."""
    store.upsert([Need(id="N1", title="隔膜涂覆"), Achievement(id="A1", title="陶瓷浆料")])
    d = create_docking(store, NewDocking("N1", "A1"))
    for version, stage in enumerate(("contacted", "confirmed", "negotiating"), 1):
        move_docking(store, d.id, Move(to=stage, version=version))
    move_docking(store, d.id, Move(to="signed", version=4, contract=Contract(**CONTRACT)))


def test_cli_ingest_keeps_a_signed_needs_status(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    store = Store(home / "store.sqlite")
    _signed_n1(store)
    assert store.get("N1", "need").status == "matched"
    store.close()
    sheet = tmp_path / "needs.jsonl"
    sheet.write_text(json.dumps({"id": "N1", "title": "隔膜涂覆（修订）"}, ensure_ascii=False)
                     + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(sheet), "--kind", "need", "--home",
                                      str(home), "--no-index"])
    assert result.exit_code == 0, result.output
    again = Store(home / "store.sqlite")
    assert (again.get("N1", "need").title, again.get("N1", "need").status) == \
        ("隔膜涂覆（修订）", "matched")
    again.close()


def test_console_upload_keeps_a_signed_needs_status(tmp_path: Path) -> None:
    import io

    from techmatch.api.console.views.intake import ingest_upload

    store = Store(tmp_path / "store.sqlite")
    _signed_n1(store)
    upload = ingest_upload(tmp_path, store, "need", "需求.csv",
                           io.BytesIO("id,title\nN1,隔膜涂覆（修订）\n".encode()))
    assert upload.report.loaded.updated == ["N1"]
    assert store.get("N1", "need").status == "matched"
    store.close()
