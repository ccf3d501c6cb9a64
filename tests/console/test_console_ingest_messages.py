"""批量导入 shows the loader's newer messages in Chinese (helper-49 audit): a title row skipped,
the sheet read, a header without an id column, a UTF-16 file that cannot be decoded."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from techmatch.api.console.messages import upload_error
from techmatch.errors import IngestError
from techmatch.indexers.ingest.load import ingest_files
from techmatch.store import Store

ENGLISH = re.compile(r"\b[A-Za-z]{4,}\b")


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_sheet_and_title_row_warnings_read_in_chinese(tmp_path: Path) -> None:
    path = _book(tmp_path / "needs.xlsx", {
        "填表说明": [["请勿修改列名"]],
        "需求": [["2024年需求汇总表"], ["需求编号", "需求名称"], ["S1", "标题一"]]})
    store = Store(tmp_path / "store.sqlite")
    try:
        report = ingest_files([path], "need", store, names=["needs.xlsx"])
    finally:
        store.close()
    shown = report.warnings
    assert shown == ["needs.xlsx：第 2 行作为表头，其上的标题行已跳过：2024年需求汇总表",
                     "needs.xlsx：已读取工作表「需求」，未读取：填表说明"]


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("h.csv", "名称,描述\n好,苏州\n".encode(),
     "h.csv：缺少编号列（可用表头：id、_id、编号、记录编号、唯一编号、record_id、需求编号、问题编号、need_id）；"
     "第 1 行被读作表头：名称、描述"),
    ("u.csv", b"\xff\xfe" + "编号".encode("utf-16-le") + b"\x00\xd8",
     "u.csv：文件无法按 UTF-16 解码（文件以 UTF-16 字节序标记开头）：字节偏移 6：数据意外结束；"
     "请另存为 UTF-8 或 GB18030"),
    ("n.xlsx", None, "n.xlsx：工作簿中没有含记录的工作表（需要有编号列的表头和数据行；"
                     "工作表：说明、空白）"),
])
def test_refused_files_read_in_chinese(tmp_path: Path, name: str, data: bytes | None,
                                       expected: str) -> None:
    path = tmp_path / name
    if data is None:
        _book(path, {"说明": [["请勿修改列名"]], "空白": []})
    else:
        path.write_bytes(data)
    store = Store(tmp_path / "store.sqlite")
    try:
        with pytest.raises(IngestError) as caught:
            ingest_files([path], "need", store, names=[name])
    finally:
        store.close()
    shown = upload_error(caught.value)
    assert shown == expected
    assert not ENGLISH.search(shown.replace("record_id", "").replace(name, ""))


def test_an_id_stored_as_another_kind_names_that_kind_in_chinese(tmp_path: Path) -> None:
    # Old: 编号 N1 已被另一类记录（need）使用 — the kind left in English.
    from techmatch.models.records import Need

    path = tmp_path / "achievements.csv"
    path.write_text("成果编号,成果名称\nN1,一项成果\n", encoding="utf-8")
    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert([Need(id="N1", title="已有需求")])
        report = ingest_files([path], "achievement", store, names=["achievements.csv"])
        assert store.get("N1").kind == "need"
    finally:
        store.close()
    assert [e.message for e in report.errors] == ["编号 N1 已被另一类记录（需求）使用"]


def test_a_bad_date_reads_in_chinese() -> None:
    from techmatch.indexers.ingest.validate import validate_row

    errors = validate_row({"id": "D1", "title": "题", "created_at": "昨天"}, "need", file="a.csv",
                          row=2)
    assert isinstance(errors, list)
    assert [e.message for e in errors] == [
        "应为日期，如 2024-01-05、2024/1/5 或 2024年1月5日（收到 '昨天'）"]


def test_fields_kept_on_update_read_in_chinese(tmp_path: Path) -> None:
    from techmatch.models.records import Need

    path = tmp_path / "retitle.csv"
    path.write_text("需求编号,需求名称\nC1,新标题\n", encoding="utf-8")
    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert([Need(id="C1", title="旧", confidential=True, contact="张工")])
        report = ingest_files([path], "need", store, names=["retitle.csv"])
    finally:
        store.close()
    assert report.warnings == [
        "retitle.csv：更新的记录保留了文件中没有的列的原值：保密（1 条）、联系方式（1 条）"]
