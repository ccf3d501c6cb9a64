"""A workbook export (`kpis --xlsx`, the dashboard / coverage / plan downloads written to a
path) was saved straight over the target: a disk that filled up mid-save, or a kill, left a
truncated .xlsx where last week's good report had been, and the error said only
'cannot write: [Errno 28] …'. The workbook is now written beside the target and moved into
place whole; a failed save leaves the previous file untouched and says so in Chinese."""

from __future__ import annotations

import errno
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from techmatch.errors import ValidationError
from techmatch.xlsx import Sheet, write_sheets

SHEET = Sheet("绩效", ["城市", "签约"], [["苏州", 3]])


def test_a_save_that_fails_midway_keeps_the_previous_workbook(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    target = tmp_path / "kpis.xlsx"
    write_sheets(target, [SHEET])
    before = target.read_bytes()

    def full_disk(self: Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 truncated")  # part written, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device", str(filename))

    monkeypatch.setattr(Workbook, "save", full_disk)
    with pytest.raises(ValidationError) as caught:
        write_sheets(target, [Sheet("绩效", ["城市", "签约"], [["青岛", 5]])])
    assert "原文件未改动" in str(caught.value)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis.xlsx"]
    monkeypatch.undo()
    assert openpyxl.load_workbook(target).active["A2"].value == "苏州"
