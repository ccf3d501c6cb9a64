"""The one spreadsheet writer: a sheet per table, bold header row, column widths, frozen header."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techmatch.errors import ValidationError, os_reason

DEFAULT_WIDTH = 18


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = field(default_factory=tuple)  # per column; DEFAULT_WIDTH past the end


def write_sheets(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write `sheets` to `path` (.xlsx); values that are not numbers are written as text."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(spec.title)
        sheet.append(list(spec.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in spec.rows:
            # text without the control characters a worksheet cannot hold (openpyxl refuses)
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", str(v))
                          if v is not None and not isinstance(v, int | float) else v
                          for v in row])
            for cell in sheet[sheet.max_row]:  # record text like "=HYPERLINK(…)" stays text
                if cell.data_type == "f":
                    cell.data_type = "s"
        for i in range(1, len(spec.headers) + 1):
            width = spec.widths[i - 1] if i <= len(spec.widths) else DEFAULT_WIDTH
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = width
        sheet.freeze_panes = "A2"
    # saved beside the target and moved into place whole: a full disk or a kill midway
    # leaves the previous workbook, never a truncated one
    part = Path(path).with_name(f".{Path(path).name}.part")
    try:
        book.save(part)
        os.replace(part, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # a folder that is not there has no part either
            part.unlink(missing_ok=True)
        raise ValidationError(f"无法写入工作簿（{os_reason(exc)}）；原文件未改动",
                              source=str(path), field="xlsx") from exc
