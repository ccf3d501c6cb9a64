"""End to end on the samples: match N001 → docking → signed with a value → the need is
matched → KPIs count it and coverage shows it as signed (not just suggested)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from batch_helpers import OPEN_SAMPLE_NEEDS, sample_engine
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.service import MatchService
from techmatch.models.programme import china_today


def _cli(home: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, [*args, "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_match_to_signed_deal_counts_everywhere(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = sample_engine(home)  # the samples in a real store; fake encoder and index
    top = MatchService(engine).match_need("N001", target="achievement", k=3,
                                          explain=False).hits[0]
    engine.close()
    created = _cli(home, "dockings", "create", "N001", top.id, "--source", "match", "--rank",
                   "1", "--confidence", f"{top.confidence:.4f}", "--owner", "张三",
                   "--team", "T01")[0]
    did = created["id"]
    assert (created["stage"], created["rank"], created["source"]) == ("suggested", 1, "match")
    for stage in ("contacted", "confirmed", "negotiating"):
        _cli(home, "dockings", "move", did, "--to", stage)
    signed = _cli(home, "dockings", "move", did, "--to", "signed", "--contract-type",
                  "license", "--value", "150.5", "--signed-on",
                  china_today().isoformat())[0]  # the KPIs below count it on this date
    assert signed["stage_label"] == "签约" and signed["contract"]["value_wan"] == 150.5
    shown = CliRunner().invoke(app, ["get", "N001", "--home", str(home)])
    assert json.loads(shown.stdout)["status"] == "matched"
    history = _cli(home, "dockings", "history", did)
    assert [h["to_stage"] for h in history] == ["suggested", "contacted", "confirmed",
                                                 "negotiating", "signed"]
    today = china_today().isoformat()  # the KPIs count China days (UTC is a day behind 16–24h)
    xlsx = tmp_path / "kpis.xlsx"
    result = CliRunner().invoke(app, ["kpis", "--from", today, "--to", today, "--by",
                                      "city,industry,owner", "--xlsx", str(xlsx), "--home",
                                      str(home), "--json"])
    assert result.exit_code == 0, result.output
    kpis = json.loads(result.stdout)
    [row] = [r for r in kpis["rows"] if r["group"]["owner"] == "张三"]
    assert row["group"]["city"] == "苏州" and row["counts"]["signed"] == 1
    assert row["deal_value"] == 150.5 and row["conversion"]["suggested_to_signed"] == 1.0
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet["A1"].value == "城市" and sheet["D1"].value == "发布需求数"
    after = _cli(home, "stats")
    assert after["totals"]["signed"] == 1
    assert after["totals"]["confirmed"] == 1
    cell = next(c for c in after["cells"] if c["city"] == "苏州" and c["signed"])
    assert cell["signed"] == 1 and cell["confirmed"] == 1
    assert "matched" not in after["totals"]
    assert after["totals"]["open_needs"] == OPEN_SAMPLE_NEEDS - 1  # N001 left `open`
