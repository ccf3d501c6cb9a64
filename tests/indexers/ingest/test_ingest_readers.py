"""Readers: encodings, delimiters, row numbers, XLSX and JSON shapes."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from techmatch.errors import IngestError
from techmatch.indexers.ingest.readers import decode, read_source, sniff_delimiter

HEADER = "编号,标题,摘要\n"
BODY = "A1,锂电池正极材料,一种高镍三元正极材料的制备方法\nA2,軟體開發平台,開源軟體\n"


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"),
])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    text = HEADER + BODY.replace("軟體開發平台,開源軟體", "软件开发平台,开源软件")
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode(encoding))
    source = read_source(path)
    assert source.encoding == expected
    assert source.header == ["编号", "标题", "摘要"]
    assert [r.values["标题"] for r in source.rows] == ["锂电池正极材料", "软件开发平台"]


def test_undecodable_file_names_file_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,title\n1,ok\n" + b"\x00\x81\xff\xfe\x80\n" * 40)
    with pytest.raises(IngestError) as info:
        read_source(path)
    assert "bad.csv" in str(info.value)
    assert "字节偏移 15 处不是有效的 UTF-8" in str(info.value)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_one_bad_byte_rejects_only_its_row(tmp_path: Path, encoding: str) -> None:
    lines = ["编号,标题", "A1,锂电池正极材料", "A2,高镍三元", "A3,软件开发平台"]
    data = [line.encode(encoding) for line in lines]
    data[2] = data[2][:4] + b"\xff" + data[2][4:]
    path = tmp_path / "one.csv"
    path.write_bytes(b"\n".join(data) + b"\n")
    source = read_source(path)
    assert source.encoding == encoding
    assert [(r.row, r.values.get("编号"), r.error is None) for r in source.rows] == [
        (2, "A1", True), (3, None, False), (4, "A3", True)]
    assert source.rows[1].error.startswith(f"该行无法解码：第 4 个字节起不是 "
                                           f"{encoding.upper()}（文件偏移 ")


def test_one_bad_byte_in_jsonl_rejects_only_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "A1"}\n{"id": "A2\xff"}\n{"id": "A3"}\n')
    rows = read_source(path).rows
    assert [(r.row, r.values.get("id")) for r in rows] == [(1, "A1"), (2, None), (3, "A3")]
    assert (rows[1].error or "").startswith("该行无法解码：第 11 个字节起不是 UTF-8")
    assert rows[1].text == '{"id": "A2\ufffd"}'


def test_bom_offset_counts_the_bom() -> None:
    with pytest.raises(IngestError, match="字节偏移 5 处"):
        decode(b"\xef\xbb\xbfab\xff\x00\x81\xff\xfe\x80" * 1 + b"\x00\xff" * 50, "x.csv")


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_sniff_delimiter(delimiter: str) -> None:
    lines = [["id", "title", "keywords"], ["N1", "高温 合金", "a、b"], ["N2", "涂层", "c"]]
    text = "\n".join(delimiter.join(cells) for cells in lines)
    assert sniff_delimiter(text) == delimiter


def test_row_numbers_count_spreadsheet_rows_and_skip_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("\nid,title\nA1,x\n,,\n\nA2,\"多行\n标题\"\nA3,z\n", encoding="utf-8")
    source = read_source(path)
    assert [(r.row, r.values["id"]) for r in source.rows] == [(3, "A1"), (6, "A2"), (7, "A3")]
    assert source.rows[1].values["title"] == "多行\n标题"


def test_cn_patent_sample_skips_empty_rows(shared: Path) -> None:
    source = read_source(shared / "data/cn-patent-cpc-sample/sample_test.csv")
    assert source.encoding == "utf-8-sig"
    assert source.header == ["publication_number", "text", "labels", "n_labels"]
    assert len(source.rows) == 19
    assert all(str(r.values["publication_number"]).startswith("CN") for r in source.rows)


def test_xlsx_header_in_first_non_empty_row_and_sheet_option(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "说明"
    first["A1"] = "这张表不是数据"
    data = book.create_sheet("成果")
    data["B3"], data["C3"], data["D3"] = "编号", "标题", "成熟度"
    data["B4"], data["C4"], data["D4"] = "A1", "氢燃料电池", 6.0
    data["B6"], data["C6"] = 1001, "储能"
    path = tmp_path / "a.xlsx"
    book.save(path)
    source = read_source(path, sheet="成果")
    assert source.format == "xlsx" and source.encoding is None
    assert source.header == ["编号", "标题", "成熟度"]
    assert [(r.row, r.values) for r in source.rows] == [
        (4, {"编号": "A1", "标题": "氢燃料电池", "成熟度": 6}), (6, {"编号": 1001, "标题": "储能"})]
    with pytest.raises(IngestError, match="没有名为「x」的工作表（工作表：说明、成果）"):
        read_source(path, sheet="x")


def test_jsonl_bad_line_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "A1"}\n\n{"id": "A2",\n[1]\n{"id": "A3"}\n', encoding="utf-8")
    rows = read_source(path).rows
    assert [r.row for r in rows] == [1, 3, 4, 5]
    assert rows[1].error is not None and rows[1].error.startswith("不是有效的 JSON（第 13 列附近")
    assert rows[2].error == "应为 JSON 对象（{…}），收到数组"
    assert rows[3].values == {"id": "A3"}


def test_jsonl_without_any_object_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("id,title\nA1,x\n", encoding="utf-8")
    with pytest.raises(IngestError, match="不是 JSON Lines：没有一行是 JSON 对象"):
        read_source(path)


def test_json_array_and_json_lines_named_json(tmp_path: Path) -> None:
    array = tmp_path / "a.json"
    array.write_text(json.dumps([{"id": "A1"}, 3]), encoding="utf-8")
    rows = read_source(array).rows
    assert rows[0].values == {"id": "A1"} and rows[1].error == "应为 JSON 对象（{…}），收到数字"
    lines = tmp_path / "b.json"
    lines.write_text('{"id": "A1"}\n{"id": "A2"}\n', encoding="utf-8")
    assert [r.values["id"] for r in read_source(lines).rows] == ["A1", "A2"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("a.xls", b"x", r"Excel 97-2003 工作簿（\.xls），无法读取：请在 Excel 中另存为 \.xlsx"),
    ("a.doc", b"x", "不支持的文件扩展名 .doc；支持："),
    ("a.json", b'{"id": 1}', "应为 JSON 对象数组，收到对象"),
    ("a.json", b'[{"id": 1}', "不是有效的 JSON（第 1 行第 11 列附近：此处缺少逗号）"),
    ("a.csv", b"\n,,\n", "文件为空，没有表头行"),
    ("a.xlsx", b"not a zip", "不是可读取的 XLSX 工作簿"),
])
def test_whole_file_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message) as info:
        read_source(path)
    assert name in str(info.value)
