"""A docking imported as dropped with the reason 需求已解决 (already_solved) closes its need, as
the same drop made on the board, through feedback or the console's 拒绝 does (effects.py):
the API import and `techmatch dockings import` alike, the history note saying so. Before,
the import left the need open, so the nightly batch, 工作台 and plans kept it as open."""

from __future__ import annotations

from pathlib import Path

from api_support import headers
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.engine import STORE_FILE, Engine
from techmatch.matcher.plans import open_needs
from techmatch.store import Store

W = headers("write")
NOTE = "需求已解决：需求状态改为已关闭（如需重新开放，请编辑需求状态）"
LEDGER = ("需求编号,候选编号,阶段,终止原因\n"
          "need-water,ach-ozone,终止,需求已解决\n"
          "need-blade,ach-paper,终止,不相关\n")


def _status(client: TestClient, need_id: str) -> str:
    return str(client.get(f"/v1/needs/{need_id}", headers=W).json()["status"])


def _last_note(client: TestClient, need_id: str, candidate_id: str) -> str:
    found = client.get(f"/v1/dockings?need_id={need_id}&candidate_id={candidate_id}",
                       headers=W).json()["items"]
    assert len(found) == 1, found
    history = client.get(f"/v1/dockings/{found[0]['id']}/history", headers=W).json()
    return str(history[-1]["note"] or "")


def test_an_imported_already_solved_drop_closes_the_need(client: TestClient,
                                                         engine: Engine) -> None:
    made = client.post("/v1/dockings/import", headers=W,
                       files={"file": ("台账.csv", LEDGER.encode(), "text/csv")})
    assert made.status_code == 200, made.text
    report = made.json()
    assert report["imported"] == 2 and report["closed_needs"] == ["need-water"]
    assert _status(client, "need-water") == "closed"
    assert _status(client, "need-blade") == "open"  # another reason leaves the need open
    assert "need-water" not in {n.id for n in open_needs(engine)}  # batch, 工作台, plans
    assert NOTE in _last_note(client, "need-water", "ach-ozone")
    assert NOTE not in _last_note(client, "need-blade", "ach-paper")


def test_the_cli_import_closes_the_need_and_says_so(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "台账.csv"
    path.write_text(LEDGER, encoding="utf-8")
    result = CliRunner().invoke(app, ["dockings", "import", str(path),
                                      "--home", str(engine.settings.home)])
    assert result.exit_code == 0, result.output
    assert "需求 need-water 状态改为 已关闭（需求已解决，不再进入每晚批量匹配）" in result.output
    fresh = Store(engine.settings.home / STORE_FILE)  # what the CLI wrote, not a cache
    try:
        assert fresh.get("need-water").status == "closed"  # type: ignore[attr-defined]
        assert fresh.get("need-blade").status == "open"  # type: ignore[attr-defined]
    finally:
        fresh.close()
