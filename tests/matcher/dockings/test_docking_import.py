"""Import of a staff spreadsheet (XLSX / CSV): codes or Chinese labels, per-row errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.errors import IngestError
from techmatch.matcher.dockings import docking_history
from techmatch.matcher.dockings.importer import import_dockings
from techmatch.models.records import Achievement, Expert, Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

HEADERS = ["需求编号", "候选编号", "阶段", "负责人", "终止原因", "原因说明", "合同类型",
           "合同金额（万元）", "签约日期", "创建日期", "阶段日期"]
NOW = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "home" / "store.sqlite")
    s.upsert([Need(id="N1", title="一"), Need(id="N2", title="二"), Need(id="N3", title="三"),
              Achievement(id="A1", title="成果"), Expert(id="E1", name="专家")])
    return s


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_rows_load_and_bad_rows_are_named(store: Store, tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "台账.xlsx", [
        ["N1", "A1", "签约", "张三", None, None, "技术开发", 56.5, dt.date(2026, 5, 1),
         dt.date(2026, 3, 2), dt.date(2026, 5, 1)],
        ["N2", "E1", "terminated", None, None, None, None, None, None, None, None],
        ["N2", "A1", "终止", None, "其他", None, None, None, None, None, None],
        ["N3", "A1", "洽谈", None, None, None, "技术开发", 10, None, None, None],
        ["N3", "E1", "签约", None, None, None, "技术开发", None, None, None, None],
        [None, "A1", "推荐", None, None, None, None, None, None, None, None],
        ["N3", "A1", "已联系", "李四", None, None, None, None, None, "2026-13-01", None],
        ["N2", "E1", "企业确认", "王五", None, None, None, None, None, "2026-10-01",
         "2026-10-08"],
        ["N1", "A1", "推荐", None, None, None, None, None, None, None, None],
    ])
    report = import_dockings(store, path, actor="import:test", now=NOW)
    assert (report.read, report.imported, report.rejected) == (9, 2, 7)
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "stage"), (4, "reason_note"), (5, "contract_type"), (6, "value_wan"),
        (7, "need_id"), (8, "created_at"), (10, "candidate_id")]
    said = {e.row: e.message for e in report.errors}  # the API and CLI show them as they are
    assert said[3].startswith("未知取值 'terminated'（可选：推荐（suggested）、")
    assert said[7] == "必填"
    assert said[8] == "不是日期（应为 YYYY-MM-DD）：'2026-13-01'"
    signed = DockingRepo(store).find_pair("N1", "A1")
    assert signed is not None and signed.contract is not None
    assert (signed.stage, signed.owner, signed.contract.value_wan) == ("signed", "张三", 56.5)
    assert [(h.to_stage, h.at.date()) for h in docking_history(store, signed.id)] == [
        ("suggested", dt.date(2026, 3, 2)), ("signed", dt.date(2026, 5, 1))]
    assert store.get("N1").status == "matched"
    confirmed = DockingRepo(store).find_pair("N2", "E1")
    assert confirmed is not None and confirmed.candidate_kind == "expert"
    assert confirmed.peak_stage == "confirmed" and confirmed.due_on is not None


def test_cli_import_exits_2_when_every_row_fails(store: Store, tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = tmp_path / "bad.csv"
    bad.write_text("需求编号,候选编号\nN9,A1\n", encoding="gb18030")
    result = CliRunner().invoke(app, ["dockings", "import", str(bad), "--home", str(home)])
    assert result.exit_code == 2 and "第 2 行，字段 need_id" in result.stdout
    good = tmp_path / "good.csv"
    good.write_text("need_id,candidate_id,stage,owner\nN3,E1,contacted,赵六\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["dockings", "import", str(good), "--home", str(home)])
    assert result.exit_code == 0 and "导入 1 行" in result.stdout
    with pytest.raises(IngestError):
        import_dockings(store, tmp_path / "missing.csv")


def test_an_infinite_contract_value_is_a_row_error(store: Store, tmp_path: Path) -> None:
    """'inf' / '1e999' in 合同金额 is named at its row (it crashed the import with pydantic's
    traceback once Contract refused non-finite values; before that it was stored)."""
    csv = tmp_path / "dockings.csv"
    csv.write_text("需求编号,候选编号,阶段,合同类型,合同金额（万元）,签约日期\n"
                   "N1,A1,签约,技术许可,inf,2026-11-01\nN2,A1,签约,技术许可,1e999,2026-11-01\n"
                   "N3,A1,签约,技术许可,30,2026-11-01\n", encoding="utf-8")
    report = import_dockings(store, csv, now=NOW)
    assert (report.imported, report.rejected) == (1, 2)
    assert [(e.row, e.field, e.message) for e in report.errors] == [
        (2, "value_wan", "应不小于 0"), (3, "value_wan", "应不小于 0")]
    assert [d.need_id for d in DockingRepo(store).all()] == ["N3"]
