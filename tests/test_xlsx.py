"""The one spreadsheet writer (techmatch/xlsx.py) with text openpyxl refuses."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from techmatch.xlsx import Sheet, write_sheets


def test_control_characters_in_stored_text_do_not_break_an_export(tmp_path: Path) -> None:
    """A record stored with a control character (e.g. through the console form before it
    cleaned fields) made every export that held it fail with IllegalCharacterError (500)."""
    path = tmp_path / "out.xlsx"
    write_sheets(path, [Sheet("需求", ["编号", "标题", "分"], [["N1", "注塑\x01件\x1f缩痕", 0.5]])])
    row = next(openpyxl.load_workbook(path)["需求"].iter_rows(min_row=2, values_only=True))
    assert row == ("N1", "注塑件缩痕", 0.5)
