"""A workbook written by a script with formulas (never opened in Excel) has no computed value
in those cells: read with data_only, each read as empty with no warning, so a required
column could silently be empty (the rows rejected as 缺少标题, or stored without the
industry). Such a workbook is now refused naming the sheet, the cells and their columns,
over the upload API and `techmatch ingest`; nothing is stored."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from api_support import headers
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.errors import IngestError
from techmatch.indexers.ingest.readers import read_source

SAID = ("工作表「需求」B3（需求标题）、C4（行业）：公式单元格没有计算结果："
        "请在 Excel 中打开并保存后再上传")


def _book(*, formulas: bool = True) -> openpyxl.Workbook:
    """Three needs; B3 and C4 are formulas written by openpyxl, never calculated."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "需求"
    sheet.append(["需求编号", "需求标题", "行业"])
    sheet.append(["fx-1", "注塑件缩痕问题", "新材料"])
    sheet.append(["fx-2", '="叶片"&"裂纹检测"' if formulas else "叶片裂纹检测", "航空"])
    sheet.append(["fx-3", "电池热管理", "=C2" if formulas else "新材料"])
    return book


def _bytes(book: openpyxl.Workbook) -> bytes:
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_the_reader_refuses_formulas_without_values(tmp_path: Path) -> None:
    path = tmp_path / "needs.xlsx"
    _book().save(path)
    with pytest.raises(IngestError) as err:
        read_source(path)
    assert str(err.value) == f"文件 {path}：{SAID}"
    _book(formulas=False).save(path)
    assert [r.values["需求标题"] for r in read_source(path).rows][1] == "叶片裂纹检测"


def test_a_formula_with_a_cached_value_reads_its_value(tmp_path: Path) -> None:
    """As Excel saves it: <f> with <v>; an empty text result (t="str", <v></v>) is a value."""
    import zipfile

    path = tmp_path / "saved.xlsx"
    _book().save(path)
    src = zipfile.ZipFile(path)
    out = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            part = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = part.replace('<c r="B3"><f>"叶片"&amp;"裂纹检测"</f><v /></c>'.encode(),
                                    '<c r="B3" t="str"><f>"叶片"&amp;"裂纹检测"</f>'
                                    '<v>叶片裂纹检测</v></c>'.encode())
                part = part.replace(b'<c r="C4"><f>C2</f><v /></c>',
                                    b'<c r="C4" t="str"><f>C2</f><v></v></c>')
                assert b"<v />" not in part
            dst.writestr(item, part)
    rows = read_source(out).rows
    assert rows[1].values["需求标题"] == "叶片裂纹检测" and "行业" not in rows[2].values


def test_upload_and_ingest_refuse_the_workbook(client: TestClient, tmp_path: Path) -> None:
    response = client.post("/v1/needs/upload", headers=headers("write"),
                           files={"file": ("needs.xlsx", _bytes(_book()))})
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"文件 needs.xlsx：{SAID}"
    assert client.get("/v1/needs/fx-1", headers=headers("read")).status_code == 404

    path = tmp_path / "needs.xlsx"
    _book().save(path)
    result = CliRunner().invoke(app, ["ingest", str(path), "--kind", "need", "--no-index",
                                      "--home", str(tmp_path / "home")])
    assert result.exit_code != 0
    assert SAID in result.stderr, result.output
