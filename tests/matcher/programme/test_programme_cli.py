"""`techmatch programme …` on a store-only home: folder load, import errors by row, overdue
milestones, the dashboard with its XLSX and PNG, taxonomy lookups."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from techmatch.cli import app

PROGRAMME = Path(__file__).resolve().parents[3] / "data" / "samples" / "programme"


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["programme", *args, "--home", str(home)])
    return result.exit_code, result.stdout, result.stderr


def test_cli_load_import_overdue_and_dashboard(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, out, err = _run(home, "load-folder", str(PROGRAMME))
    assert code == 0, err
    assert "目标：" in out and "已存入 12/12 行" in out
    code, out, _ = _run(home, "overdue", "--today", "2026-11-30", "--json")
    assert code == 0 and [o["milestone"]["id"] for o in json.loads(out)] == ["M02"]
    bad = tmp_path / "teams.csv"
    bad.write_text("编号,名称,类型,服务城市,组建日期\nT9,新团队,服务队,杭州/宁波,2026-05-01\n"
                   "T10,坏团队,旅游团,杭州,2026-05-01\n", encoding="utf-8")
    code, out, err = _run(home, "import", "team", str(bad))
    assert code == 0 and "新增 1 条" in out
    assert f"错误：{bad} 第 3 行，字段 type：" in err
    code, out, _ = _run(home, "show", "team", "T9")
    assert json.loads(out)["cities"] == ["杭州", "宁波"] and json.loads(out)["type"] == \
        "service_squad"
    code, _, err = _run(home, "import", "event", str(PROGRAMME / "targets.csv"))
    assert code == 2 and "缺少必需的列：编号（id）、类型（type）" in err
    xlsx, png = tmp_path / "board.xlsx", tmp_path / "board.png"
    code, out, err = _run(home, "dashboard", "--from", "2026-01-01", "--to", "2026-12-31",
                          "--today", "2026-11-30", "--xlsx", str(xlsx), "--png", str(png))
    assert code == 0, err
    assert "苏州: 组建服务团队数 2/2" in out and "超期节点 M02" in out
    sheet = openpyxl.load_workbook(xlsx)["全国汇总"]
    assert [c.value for c in sheet[1]][:4] == ["城市", "试点批次", "指标", "指标代码"]
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_taxonomy() -> None:
    result = CliRunner().invoke(app, ["programme", "taxonomy", "芯片", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["path"] == "新一代信息技术产业 > 电子核心产业 > 集成电路制造"
    result = CliRunner().invoke(app, ["programme", "taxonomy"])
    assert result.stdout.splitlines()[0] == "1 新一代信息技术产业"
    assert "    1.2.4 集成电路制造" in result.stdout.splitlines()
