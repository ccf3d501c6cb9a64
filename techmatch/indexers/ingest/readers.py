"""Readers for JSONL / JSON, CSV / TSV and XLSX files: raw rows with the row numbers people see.

Row numbers: CSV and XLSX count spreadsheet rows (the header row included, as a spreadsheet
program shows them); JSONL counts lines; a `.json` array counts its elements from 1.
Text files are decoded as UTF-8 (BOM or not), then GB18030 (which covers GBK and GB2312),
then whatever `charset_normalizer` is confident about.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from techmatch.errors import IngestError

FORMATS: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
                           ".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_DELIMITERS = ",\t;"
_SNIFF_CHARS = 64 * 1024


@dataclass(frozen=True)
class RawRow:
    """One data row as read: `values` by header (tabular) or the parsed JSON object.

    `error` is set when the row could not even be parsed (a line that is not a JSON object).
    """

    row: int
    values: dict[str, object]
    error: str | None = None
    text: str | None = None


@dataclass
class Source:
    """A whole file read into rows; `header` is None for JSON formats."""

    path: Path
    format: str
    encoding: str | None
    header: list[str] | None
    rows: list[RawRow]
    warnings: list[str] = field(default_factory=list)


def read_source(path: Path, *, sheet: str | None = None) -> Source:
    """Read a file into raw rows; a file that cannot be read at all raises IngestError."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(f"unknown file extension {path.suffix or '(none)'!r}; supported: "
                          f"{', '.join(sorted(FORMATS))}", source=str(path))
    if not path.is_file():
        raise IngestError("no such file", source=str(path))
    if fmt == "xlsx":
        return _read_xlsx(path, sheet)
    text, encoding = decode(path.read_bytes(), str(path))
    if fmt == "csv":
        return _read_csv(path, text, encoding)
    if fmt == "json":
        return _read_json(path, text, encoding)
    return _read_jsonl(path, text, encoding)


# -- encodings ---------------------------------------------------------------------------------
def decode(data: bytes, source: str) -> tuple[str, str]:
    """Decode bytes → (text, encoding name); undecodable bytes raise IngestError with the offset."""
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as utf8_error:
        offset, reason = utf8_error.start + bom, utf8_error.reason
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    guess = _guess(data)
    if guess is not None:
        return guess
    raise IngestError(f"cannot decode the file: invalid UTF-8 at byte offset {offset} "
                      f"({reason}), not GB18030 either, and no other text encoding fits",
                      source=source)


def _guess(data: bytes) -> tuple[str, str] | None:
    """charset_normalizer's best guess, kept only when it decodes to clean text."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None or best.percent_chaos > 10.0:
        return None
    text = str(best)
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
        return None
    return text, str(best.encoding)


# -- CSV ---------------------------------------------------------------------------------------
def sniff_delimiter(text: str) -> str:
    """The delimiter among , TAB ; (csv.Sniffer, checked against the header line; ',' fallback)."""
    sample = text[:_SNIFF_CHARS]
    header_line = next((line for line in sample.splitlines() if line.strip()), "")
    try:
        found = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and found in header_line:
        return found
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path, text: str, encoding: str) -> Source:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        table: list[tuple[int, list[object]]] = [
            (number, list(cells)) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise IngestError(f"malformed CSV near row {reader.line_num}: {exc}",
                          source=str(path)) from None
    return _tabular(path, "csv", encoding, table)


# -- XLSX --------------------------------------------------------------------------------------
def _read_xlsx(path: Path, sheet: str | None) -> Source:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise IngestError(f"not a readable XLSX workbook: {exc}", source=str(path)) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise IngestError(f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}",
                              source=str(path))
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        table = [(number, [_cell(value) for value in values])
                 for number, values in enumerate(worksheet.iter_rows(values_only=True), 1)]
    finally:
        book.close()
    return _tabular(path, "xlsx", None, table)


def _cell(value: object) -> object:
    """JSON-friendly cell value: dates as ISO text, whole floats as ints."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- shared tabular ----------------------------------------------------------------------------
def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _tabular(path: Path, fmt: str, encoding: str | None,
             table: list[tuple[int, list[object]]]) -> Source:
    """Header = first non-empty row; later rows become dicts; all-empty rows are skipped."""
    start = next((i for i, (_, cells) in enumerate(table)
                  if not all(_blank(c) for c in cells)), None)
    if start is None:
        raise IngestError("the file has no header row (it is empty)", source=str(path))
    header = _header_names(table[start][1])
    source = Source(path, fmt, encoding, [name for name in header if name], [])
    stray = False
    for number, cells in table[start + 1:]:
        if all(_blank(c) for c in cells):
            continue
        values = {name: cells[i] for i, name in enumerate(header)
                  if name and i < len(cells) and not _blank(cells[i])}
        stray = stray or any(not _blank(c) for c in cells[len(header):]) or any(
            not name and i < len(cells) and not _blank(cells[i]) for i, name in enumerate(header))
        source.rows.append(RawRow(number, values))
    if stray:
        source.warnings.append("values in columns without a header were ignored")
    return source


def _header_names(cells: list[object]) -> list[str]:
    """Header texts, trimmed; a repeated name gets a ' (2)', ' (3)' … suffix."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for cell in cells:
        name = "" if _blank(cell) else str(cell).strip().lstrip("\ufeff")
        if name:
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name} ({seen[name]})"
        names.append(name)
    return names


# -- JSON --------------------------------------------------------------------------------------
def _read_jsonl(path: Path, text: str, encoding: str) -> Source:
    rows: list[RawRow] = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip().lstrip("\ufeff")
        if line:
            rows.append(_json_row(number, line))
    if rows and all(r.error is not None for r in rows):
        raise IngestError(f"not JSON Lines: no line holds a JSON object (line {rows[0].row}: "
                          f"{rows[0].error})", source=str(path))
    return Source(path, "jsonl", encoding, None, rows)


def _json_row(number: int, line: str) -> RawRow:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return RawRow(number, {}, error=f"invalid JSON: {exc.msg} (column {exc.colno})",
                      text=line)
    if not isinstance(value, dict):
        return RawRow(number, {}, error=f"expected a JSON object, got {type(value).__name__}",
                      text=line)
    return RawRow(number, value)


def _read_json(path: Path, text: str, encoding: str) -> Source:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # one object per line in a file named .json
            return _read_jsonl(path, text, encoding)
        raise IngestError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                          source=str(path)) from None
    if not isinstance(value, list):
        raise IngestError(f"expected a JSON array of objects, got {type(value).__name__}",
                          source=str(path))
    rows = [RawRow(i, item) if isinstance(item, dict) else
            RawRow(i, {}, error=f"expected a JSON object, got {type(item).__name__}",
                   text=json.dumps(item, ensure_ascii=False))
            for i, item in enumerate(value, start=1)]
    return Source(path, "json", encoding, None, rows)
