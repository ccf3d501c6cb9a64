"""Readers for JSONL / JSON, CSV / TSV and XLSX files: raw rows with the row numbers people see.

Row numbers: CSV and XLSX count spreadsheet rows (the header row included, as a spreadsheet
program shows them); JSONL counts lines; a `.json` array counts its elements from 1.
Text files are decoded as UTF-8 (BOM or not), UTF-16 (by its BOM), then GB18030 (which
covers GBK and GB2312); when a few lines hold bad bytes, line by line (`encoding.py`) so only
the rows on those lines are rejected; then whatever `charset_normalizer` is confident about.
A file without data rows is an error in every format. `name` is how the file is called in
messages (an upload's own file name, never a server path).
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from techmatch.errors import IngestError
from techmatch.indexers.ingest.clip import clip
from techmatch.indexers.ingest.csvrows import split_records
from techmatch.indexers.ingest.encoding import Decoded, decode, decode_lines
from techmatch.models.validation_zh import json_reason_zh, json_type_zh

__all__ = ["FORMATS", "RawRow", "Source", "decode", "read_source", "row_limit",
           "sniff_delimiter", "upload_limits"]

# .txt: delimited text as Excel saves "Unicode text" (UTF-16, tabs); the delimiter is sniffed.
FORMATS: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
                           ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx",
                           ".xlsm": "xlsx"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an Excel 97-2003 workbook (.xls)
_XLS = ("这是 Excel 97-2003 工作簿（.xls），无法读取：请在 Excel 中另存为 .xlsx（文件 > 另存为 > "
        "Excel 工作簿）")
_DELIMITERS = ",\t;"
_SNIFF_CHARS = 64 * 1024
# A merged range in a sheet's XML (after its rows): <mergeCell ref="C2:C4"/>
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
# A cell of a sheet's XML: its attributes and, unless empty (<c r="A1"/>), its content
_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)
_CELL_OPEN = re.compile(rb'<(?:\w+:)?c\b')
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb'<(?:\w+:)?f\b')
_VALUE = re.compile(rb'<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)', re.S)
_TEXT_TYPE = re.compile(rb'\bt="str"')
_UNCACHED = "公式单元格没有计算结果：请在 Excel 中打开并保存后再上传"
# Title rows (a merged 2024年…汇总表, a group header 基本信息 / 详情) a header may sit below.
MAX_TITLE_ROWS = 5
HeaderTest = Callable[[list[str]], bool]
# Data rows one read may hold, characters one cell may hold, bytes a workbook may unpack to
# (None: any); set around HTTP uploads by `row_limit` / `upload_limits`.
_ROW_LIMIT: ContextVar[int | None] = ContextVar("techmatch_row_limit", default=None)
_CELL_LIMIT: ContextVar[int | None] = ContextVar("techmatch_cell_limit", default=None)
_UNPACKED_LIMIT: ContextVar[int | None] = ContextVar("techmatch_unpacked_limit", default=None)


@contextmanager
def row_limit(rows: int, *, cell_chars: int | None = None,
              unpacked_bytes: int | None = None) -> Iterator[None]:
    """Files read inside the block may hold at most `rows` data rows: a sheet is refused as
    soon as it has more (an upload of a few KB of XLSX can unpack to millions of rows).
    `cell_chars`: a cell (CSV or XLSX) longer than this refuses the file, naming its row and
    column; `unpacked_bytes`: a workbook whose parts unpack to more is refused before it is
    parsed (a few hundred KB of XLSX can hold one cell of hundreds of millions of characters,
    which no row limit sees)."""
    tokens = (_ROW_LIMIT.set(rows), _CELL_LIMIT.set(cell_chars),
              _UNPACKED_LIMIT.set(unpacked_bytes))
    try:
        yield
    finally:
        _UNPACKED_LIMIT.reset(tokens[2])
        _CELL_LIMIT.reset(tokens[1])
        _ROW_LIMIT.reset(tokens[0])


def upload_limits(settings: Any) -> AbstractContextManager[None]:
    """`row_limit` with an upload's limits from the settings (TECHMATCH_MAX_UPLOAD_ROWS,
    TECHMATCH_MAX_UPLOAD_CELL_CHARS, TECHMATCH_MAX_UPLOAD_UNPACKED_BYTES)."""
    return row_limit(settings.max_upload_rows, cell_chars=settings.max_upload_cell_chars,
                     unpacked_bytes=settings.max_upload_unpacked_bytes)


def _check_rows(count: int, label: str) -> None:
    limit = _ROW_LIMIT.get()
    if limit is not None and count > limit:
        raise IngestError(f"文件超过 {limit} 行数据（一次上传的上限，TECHMATCH_MAX_UPLOAD_ROWS），"
                          f"请拆分后分批上传，或在服务器上用 techmatch ingest 导入", source=label)


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
    """A whole file read into rows; `header` is None for JSON formats (and `header_row`, the
    row it was read from, too)."""

    path: Path
    format: str
    encoding: str | None
    header: list[str] | None
    rows: list[RawRow]
    warnings: list[str] = field(default_factory=list)
    header_row: int | None = None


def read_source(path: Path, *, sheet: str | None = None, name: str | None = None,
                is_header: HeaderTest | None = None) -> Source:
    """Read a file into raw rows; a file that cannot be read at all raises IngestError.

    `is_header` (tabular files): whether a row's texts make a usable header. When the first
    non-empty row is not one, a later row among the first few that is becomes the header and
    the title rows above it are skipped (with a warning); a workbook read without `sheet`
    is read from its first sheet that has such a header and data rows.
    """
    path = Path(path)
    label = name or str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if path.suffix.lower() == ".xls":
        raise IngestError(_XLS, source=label)
    if fmt is None:
        raise IngestError(f"不支持的文件扩展名 {path.suffix or '（无）'}；支持："
                          f"{'、'.join(sorted(FORMATS))}", source=label)
    if not path.is_file():
        raise IngestError("文件不存在", source=label)
    if fmt == "xlsx":
        source = _read_xlsx(path, sheet, label, is_header)
    else:
        decoded = decode_lines(path.read_bytes(), label)
        if fmt == "csv":
            source = _read_csv(path, decoded, label, is_header)
        elif fmt == "json":
            source = _read_json(path, decoded, label)
        else:
            source = _read_jsonl(path, decoded, label)
    if not source.rows:
        raise IngestError("文件没有数据行（文件为空）", source=label)
    _check_rows(len(source.rows), label)
    return source


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


def _read_csv(path: Path, decoded: Decoded, label: str, is_header: HeaderTest | None) -> Source:
    text = decoded.text
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text)
    table: list[_Line] = []
    physical = text.split("\n")
    for record in split_records(text, delimiter):
        lines = range(record.first_line, record.last_line + 1)
        bad = next((decoded.bad[n] for n in lines if n in decoded.bad), None)
        if bad is not None:
            table.append(_Line(record.row, None, f"该行无法解码：{bad}",
                               clip(physical[record.first_line - 1].rstrip("\r"))))
        else:
            cells: list[object] | None = list(record.cells) if record.cells is not None else None
            table.append(_Line(record.row, cells, record.error, record.text))
    first = next((line for line in table if line.error is not None or
                  any(not _blank(c) for c in line.cells or [])), None)
    if first is not None and first.error is not None:  # no header: the rows cannot be named
        raise IngestError(f"表头行（第 {first.row} 行）无法读取：{first.error}", source=label)
    return _tabular(path, "csv", decoded.encoding, table, label, ragged=True,
                    is_header=is_header)


# -- XLSX --------------------------------------------------------------------------------------
def _read_xlsx(path: Path, sheet: str | None, label: str,
               is_header: HeaderTest | None) -> Source:
    import openpyxl

    _check_unpacked(path, label)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any parser failure on user bytes is a bad file
        with path.open("rb") as head:
            if head.read(len(_OLE)) == _OLE:  # a .xls renamed .xlsx
                raise IngestError(_XLS, source=label) from None
        raise IngestError("不是可读取的 XLSX 工作簿（文件损坏或不是 XLSX）", source=label) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise IngestError(f"没有名为「{sheet}」的工作表（工作表："
                              f"{'、'.join(book.sheetnames)}）", source=label)
        sheets = list(book.sheetnames)
        names = [sheet] if sheet is not None else sheets if is_header else sheets[:1]
        read, source = _pick_sheet(book, names, path, label, is_header)
        _refuse_uncached(book[read], read, source, label)
    except IngestError:
        raise
    except Exception:  # noqa: BLE001 - a damaged sheet part inside a valid zip
        raise IngestError("不是可读取的 XLSX 工作簿（文件损坏或不是 XLSX）", source=label) from None
    finally:
        book.close()
    if len(sheets) > 1:
        others = "、".join(name for name in sheets if name != read)
        source.warnings.append(clip(f"已读取工作表「{read}」，未读取：{others}"))
    return source


def _check_unpacked(path: Path, label: str) -> None:
    """Refuse a workbook whose parts unpack to more than the upload's limit, before any part
    is parsed (the zip's own sizes: a part cannot unpack to more than it declares)."""
    import zipfile

    limit = _UNPACKED_LIMIT.get()
    if limit is None:
        return
    try:
        with zipfile.ZipFile(path) as archive:
            parts = [(info.file_size, info.filename) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: openpyxl's refusal names it
    total = sum(size for size, _ in parts)
    if total > limit:
        size, part = max(parts)
        raise IngestError(f"工作簿解压后有 {total} 字节，超过一次上传的上限 {limit} 字节"
                          f"（TECHMATCH_MAX_UPLOAD_UNPACKED_BYTES），最大的部分是 {part}（{size} "
                          f"字节），可能有单元格存了超长文本：请拆分或清理后再上传，或在服务器上用 "
                          f"techmatch ingest 导入", source=label)


def _pick_sheet(book: object, names: list[str], path: Path, label: str,
                is_header: HeaderTest | None) -> tuple[str, Source]:
    """The first of `names` whose header passes `is_header` and that has data rows; else the
    first readable one; else the first sheet's error, naming the sheets."""
    fallback: tuple[str, Source] | None = None
    error: IngestError | None = None
    for title in names:
        rows = book[title].iter_rows(values_only=True)  # type: ignore[index]
        limit = _ROW_LIMIT.get()
        if limit is not None:  # stop reading a sheet past the limit (+ header and title rows)
            rows = itertools.islice(rows, limit + MAX_TITLE_ROWS + 2)
        table = [_Line(number, [_cell(value) for value in values])
                 for number, values in enumerate(rows, 1)]
        if limit is not None and len(table) > limit + MAX_TITLE_ROWS + 1:
            _check_rows(len(table), label)
        _fill_merged(table, _merged_ranges(book[title]))  # type: ignore[index]
        try:
            source = _tabular(path, "xlsx", None, table, label, ragged=False,
                              is_header=is_header)
        except IngestError as exc:
            error = error or exc
            continue
        if is_header is None or (source.rows and is_header(source.header or [])):
            return title, source
        fallback = fallback or (title, source)
    if fallback is not None and (fallback[1].rows or len(names) == 1):
        return fallback
    if error is not None and len(names) == 1:
        raise error
    raise IngestError(f"工作簿中没有含记录的工作表（需要有编号列的表头和数据行；工作表："
                      f"{'、'.join(names)}）", source=label)


def _merged_ranges(worksheet: object) -> list[tuple[int, int, int, int]]:
    """(first column, first row, last column, last row) of each merged range, 1-based: read
    from the sheet's XML, which a read-only worksheet does not parse."""
    from openpyxl.utils.cell import column_index_from_string

    source = worksheet._get_source()  # type: ignore[attr-defined]  # read-only sheet's XML
    found: list[tuple[int, int, int, int]] = []
    tail = b""
    try:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            found += [(column_index_from_string(m[1].decode()), int(m[2]),
                       column_index_from_string(m[3].decode()), int(m[4]))
                      for m in _MERGE.finditer(data)]
            cut = data.rfind(b"<")  # an element cut at the chunk's end is read with the next
            tail = data[cut:] if cut >= 0 and b">" not in data[cut:] else b""
    finally:
        source.close()
    return found


def _uncached_formulas(worksheet: object) -> list[tuple[int, int]]:
    """(row, column), 1-based, of each formula cell without a computed value: a workbook
    written by a script (openpyxl writes <f>…</f><v/>) and never saved by Excel, whose cells
    read as empty with data_only. A text result stored as empty (t="str", <v></v>) is a
    value. Read from the sheet's XML, chunk by chunk; chunks without a formula are skipped."""
    from openpyxl.utils.cell import column_index_from_string

    source = worksheet._get_source()  # type: ignore[attr-defined]  # read-only sheet's XML
    found: list[tuple[int, int]] = []
    tail = b""
    try:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            end = 0
            if _FORMULA.search(data):
                for m in _CELL.finditer(data):
                    end = m.end()
                    body = m[2]
                    if not body or not _FORMULA.search(body):
                        continue
                    value = _VALUE.search(body)
                    if value is not None and (value[1] or _TEXT_TYPE.search(m[1])):
                        continue
                    ref = _CELL_REF.search(m[1])
                    if ref is not None:
                        found.append((int(ref[2]), column_index_from_string(ref[1].decode())))
            else:
                end = max((m.end() for m in _CELL.finditer(data)), default=0)
            # keep a cell cut at the chunk's end (from its opening tag) for the next read
            opened = [m.start() for m in _CELL_OPEN.finditer(data, end)]
            tail = data[min([*opened, max(end, len(data) - 16)]):]
    finally:
        source.close()
    return found


def _refuse_uncached(worksheet: object, title: str, source: Source, label: str) -> None:
    """Refuse the sheet read when a cell of its header row, or of a named column below it,
    is a formula without a computed value, naming the sheet, the cells and their columns."""
    from openpyxl.utils.cell import get_column_letter

    top = source.header_row or 1
    found = [(r, c) for r, c in _uncached_formulas(worksheet) if r >= top]
    if not found:
        return
    row = next(worksheet.iter_rows(min_row=top, max_row=top, values_only=True),  # type: ignore[attr-defined]
               ())
    names = _header_names([_cell(v) for v in row])
    named = [(r, c, names[c - 1] if c <= len(names) else "") for r, c in sorted(found)]
    named = [(r, c, n) for r, c, n in named if r == top or n]
    if not named:
        return
    shown = "、".join(f"{get_column_letter(c)}{r}" + (f"（{n}）" if n and r > top else "（表头）"
                                                      if r == top else "")
                     for r, c, n in named[:5])
    more = f" 等 {len(named)} 个单元格" if len(named) > 5 else ""
    raise IngestError(clip(f"工作表「{title}」{shown}{more}：{_UNCACHED}"), source=label)


def _fill_merged(table: list[_Line], ranges: list[tuple[int, int, int, int]]) -> None:
    """A cell merged down several rows gives its value to each of them (in its own column:
    one enterprise over three needs); a range across columns fills nothing sideways."""
    by_row = {line.row: line for line in table}
    for column, first, _, last in ranges:
        top = by_row.get(first)
        if top is None or top.cells is None or column > len(top.cells) or last <= first:
            continue
        value = top.cells[column - 1]
        for number in range(first + 1, last + 1):
            line = by_row.get(number)
            if line is not None and line.cells is not None:
                line.cells.extend([None] * (column - len(line.cells)))
                if _blank(line.cells[column - 1]):
                    line.cells[column - 1] = value


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


@dataclass(frozen=True)
class _Line:
    """One table row before the header is applied: cells, or why the row could not be read."""

    row: int
    cells: list[object] | None
    error: str | None = None
    text: str | None = None


def _tabular(path: Path, fmt: str, encoding: str | None, table: list[_Line], label: str, *,
             ragged: bool, is_header: HeaderTest | None = None) -> Source:
    """Header = first non-empty row (or, by `is_header`, a later one below title rows);
    later rows become dicts; all-empty rows are skipped.

    `ragged`: a row with fewer fields than the header's named columns, or more non-empty
    fields than the header has, is rejected (text formats; a sheet has no such rows).
    """
    filled = [i for i, line in enumerate(table)
              if line.cells is not None and not all(_blank(c) for c in line.cells)]
    if not filled:
        raise IngestError("文件为空，没有表头行", source=label)
    start = _header_index(table, filled, is_header)
    header = _header_names(table[start].cells or [])
    _check_cells(table, header, label)
    named = max((i + 1 for i, name in enumerate(header) if name), default=0)
    source = Source(path, fmt, encoding, [name for name in header if name], [],
                    header_row=table[start].row)
    skipped = [i for i in filled if i < start]
    if skipped:
        titles = " / ".join(_joined([c for c in table[i].cells or [] if not _blank(c)])
                            for i in skipped)
        source.warnings.append(clip(f"第 {table[start].row} 行作为表头，其上的标题行已跳过："
                                    f"{titles}"))
    rejected_before = [line for line in table[:start] if line.error is not None]
    stray = False
    for line in [*rejected_before, *table[start + 1:]]:
        if line.cells is None:
            source.rows.append(RawRow(line.row, {}, error=line.error, text=line.text))
            continue
        cells = line.cells
        if all(_blank(c) for c in cells):
            continue
        extra = any(not _blank(c) for c in cells[len(header):])
        if ragged and (len(cells) < named or extra):
            source.rows.append(RawRow(line.row, {}, error=_ragged(len(cells), named),
                                      text=_joined(cells)))
            continue
        values = {name: cells[i] for i, name in enumerate(header)
                  if name and i < len(cells) and not _blank(cells[i])}
        stray = stray or extra or any(
            not name and i < len(cells) and not _blank(cells[i]) for i, name in enumerate(header))
        source.rows.append(RawRow(line.row, values))
    if stray:
        source.warnings.append("没有表头的列中的值已忽略")
    return source


def _check_cells(table: list[_Line], header: list[str], label: str) -> None:
    """Refuse the file at its first cell longer than the upload's limit, naming the row and
    the column (letter and header name)."""
    limit = _CELL_LIMIT.get()
    if limit is None:
        return
    from openpyxl.utils.cell import get_column_letter

    for line in table:
        for i, cell in enumerate(line.cells or ()):
            if isinstance(cell, str) and len(cell) > limit:
                name = header[i] if i < len(header) and header[i] else ""
                column = f"{get_column_letter(i + 1)} 列" + (f"（{name}）" if name else "")
                raise IngestError(f"第 {line.row} 行 {column}的单元格有 {len(cell)} 个字符，"
                                  f"超过一次上传每个单元格的上限 {limit}"
                                  f"（TECHMATCH_MAX_UPLOAD_CELL_CHARS），请缩短后再上传",
                                  source=label)


def _header_index(table: list[_Line], filled: list[int], is_header: HeaderTest | None) -> int:
    """The first of the first few non-empty rows that `is_header` accepts; else the first."""
    if is_header is not None:
        for i in filled[:MAX_TITLE_ROWS + 1]:
            names = [name for name in _header_names(table[i].cells or []) if name]
            if is_header(names):
                return i
    return filled[0]


def _ragged(got: int, named: int) -> str:
    return (f"该行有 {got} 个字段，而表头有 {named} 列（分隔符多了或少了，或引号没有闭合）")


def _joined(cells: list[object]) -> str:
    return clip(",".join("" if c is None else str(c) for c in cells))


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
def _read_jsonl(path: Path, decoded: Decoded, label: str) -> Source:
    rows: list[RawRow] = []
    for number, line in enumerate(decoded.text.split("\n"), start=1):
        line = line.strip().lstrip("\ufeff")
        if number in decoded.bad:
            rows.append(RawRow(number, {}, error=f"该行无法解码：{decoded.bad[number]}",
                               text=clip(line)))
        elif line:
            rows.append(_json_row(number, line))
    if rows and all(r.error is not None for r in rows) and not decoded.bad:
        raise IngestError(f"不是 JSON Lines：没有一行是 JSON 对象（第 {rows[0].row} 行："
                          f"{rows[0].error}）", source=label)
    return Source(path, "jsonl", decoded.encoding, None, rows)


def _json_row(number: int, line: str) -> RawRow:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return RawRow(number, {}, error=f"不是有效的 JSON（第 {exc.colno} 列附近："
                                        f"{json_reason_zh(exc.msg)}）",
                      text=clip(line))
    if not isinstance(value, dict):
        return RawRow(number, {}, error=f"应为 JSON 对象（{{…}}），收到{json_type_zh(value)}",
                      text=clip(line))
    return RawRow(number, value)


def _read_json(path: Path, decoded: Decoded, label: str) -> Source:
    text = decoded.text
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # one object per line in a file named .json
            return _read_jsonl(path, decoded, label)
        raise IngestError(f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近："
                          f"{json_reason_zh(exc.msg)}）", source=label) from None
    if decoded.bad:  # one array: no rows to reject apart, so the file is refused
        line, why = next(iter(decoded.bad.items()))
        raise IngestError(f"第 {line} 行无法解码：{why}", source=label)
    if not isinstance(value, list):
        raise IngestError(f"应为 JSON 对象数组，收到{json_type_zh(value)}", source=label)
    rows = [RawRow(i, item) if isinstance(item, dict) else
            RawRow(i, {}, error=f"应为 JSON 对象（{{…}}），收到{json_type_zh(item)}",
                   text=clip(json.dumps(item, ensure_ascii=False)))
            for i, item in enumerate(value, start=1)]
    return Source(path, "json", decoded.encoding, None, rows)
