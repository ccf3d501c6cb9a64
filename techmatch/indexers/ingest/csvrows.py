"""CSV records with their real structure: quoted fields may span lines, but a quote that never
closes (or closes many lines later into a ragged record) is a bad row, not a swallowed file.

`csv.reader` alone reads an unterminated quote as one field running to the end of the file,
so every following row silently becomes part of one cell. Here each record is assembled from
physical lines with a small quote scanner; a record that reaches the end of the file inside
quotes, or spans lines and comes out with the wrong number of fields, is reported at its first
line (with that raw line) and reading resumes on the next line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from techmatch.indexers.ingest.clip import clip

# csv's default limit (131,072 characters a field) raised an uncaught error on one huge cell;
# read any cell, so validation names the field that is too long (uploads are size-limited).
FIELD_LIMIT = 1 << 26
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))


@dataclass(frozen=True)
class CsvRecord:
    """One record: `row` counts records as a spreadsheet shows them; lines are 1-based."""

    row: int
    first_line: int
    last_line: int
    cells: list[str] | None
    error: str | None = None
    text: str | None = None


def _open_quote(line: str, delimiter: str, inside: bool) -> bool:
    """True when `line` ends inside a quoted field (`inside`: it starts inside one)."""
    if '"' not in line:  # the common case, decided in C
        return inside
    state = "quoted" if inside else "start"
    for ch in line:
        if state == "start":
            state = "quoted" if ch == '"' else "start" if ch == delimiter else "plain"
        elif state == "plain":
            if ch == delimiter:
                state = "start"
        elif state == "quoted":
            if ch == '"':
                state = "closing"
        elif state == "closing":  # after a quote inside quotes: "" escapes, else it closed
            state = "quoted" if ch == '"' else "start" if ch == delimiter else "plain"
    return state == "quoted"


def _cells(text: str, delimiter: str) -> list[str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return next(reader, [])


def split_records(text: str, delimiter: str) -> Iterator[CsvRecord]:
    """Records of `text`; the header's width (first non-blank record) judges multi-line ones."""
    width: int | None = None
    # Only \n ends a line (as for csv and for the decoder's line numbers); str.splitlines
    # would also split on U+2028, form feeds and other characters a cell may hold.
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    row, i = 0, 0
    while i < len(lines):
        row += 1
        j, inside = i, _open_quote(lines[i], delimiter, False)
        while inside and j + 1 < len(lines):
            j += 1
            inside = _open_quote(lines[j], delimiter, True)
        raw = lines[i].rstrip("\r\n")
        if inside:
            yield CsvRecord(row, i + 1, i + 1, None, _unclosed(i + 1, raw), clip(raw))
            i += 1
            continue
        try:
            cells = _cells("".join(lines[i:j + 1]), delimiter)
        except csv.Error as exc:  # a cell past FIELD_LIMIT
            yield CsvRecord(row, i + 1, j + 1, None, f"该行无法读取：{_csv_reason(exc)}", clip(raw))
            i = j + 1
            continue
        if width is None and any(c.strip() for c in cells):
            width = len(cells)
        if j > i and width is not None and len(cells) != width:
            yield CsvRecord(row, i + 1, j + 1, None, _swallowing(i + 1, j + 1, len(cells), width),
                            clip(raw))
            i += 1
            continue
        yield CsvRecord(row, i + 1, j + 1, cells)
        i = j + 1


def _csv_reason(exc: csv.Error) -> str:
    """The csv module's reason in Chinese (a cell past FIELD_LIMIT is the one it raises)."""
    text = str(exc)
    match = re.search(r"field larger than field limit \((\d+)\)", text)
    return f"单元格超过 {match.group(1)} 个字符" if match else "格式错误"


def _unclosed(line: int, raw: str) -> str:
    return (f"第 {line} 行的引号没有闭合（否则其后的内容会并成一个字段），请修正该行的引号："
            f"{clip(raw, 120)}")


def _swallowing(first: int, last: int, got: int, width: int) -> str:
    return (f"引号内的字段从第 {first} 行延续到第 {last} 行，该行因此有 {got} 个字段而不是 "
            f"{width} 个：可能是引号没有闭合；其后各行单独读取")
