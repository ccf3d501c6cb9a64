"""One huge cell got past the row limit: a 199 KB XLSX whose one cell holds 200,000,000
characters was read whole (7.6 s, 448 MB); at the 5 MB body limit such a file unpacks to
gigabytes. Uploads now refuse a workbook that unpacks to more than
`max_upload_unpacked_bytes` (naming its largest part) before parsing it, and a cell longer
than `max_upload_cell_chars` (naming the row and the column) in XLSX and CSV alike."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient
from test_console_decide import HTML

from techmatch.indexers.ingest.readers import read_source, row_limit

CELL = 1_000


def _xlsx(title: str, *, pad: int = 0) -> bytes:
    """Two needs; the second's title is `title`. `pad` characters are spliced into the sheet's
    XML afterwards (as a crafted file would hold them): openpyxl never holds them."""
    book = openpyxl.Workbook()
    book.active.append(["需求编号", "需求标题"])
    book.active.append(["cell-1", "注塑件缩痕问题"])
    book.active.append(["cell-2", "PAD" if pad else title])
    data = io.BytesIO()
    book.save(data)
    if not pad:
        return data.getvalue()
    src, out = zipfile.ZipFile(io.BytesIO(data.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            part = src.read(item.filename).replace(b">PAD<", b">" + b"a" * pad + b"<")
            dst.writestr(item, part, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


@pytest.fixture()
def small(client: TestClient) -> TestClient:
    settings = client.app.state.tm.settings  # type: ignore[attr-defined]
    settings.max_upload_cell_chars = CELL
    settings.max_upload_unpacked_bytes = 2_000_000
    return client


@pytest.mark.parametrize("url", ["/v1/needs/upload", "/v1/dockings/import",
                                 "/v1/programme/import/event"])
def test_a_cell_over_the_limit_is_refused_naming_row_and_column(small: TestClient,
                                                                url: str) -> None:
    long = "缩" * (CELL + 1)
    for name, data in (("long.xlsx", _xlsx(long)),
                       ("long.csv", f"需求编号,需求标题\ncell-1,短标题\ncell-2,{long}\n".encode())):
        response = small.post(url, headers=headers("write"), files={"file": (name, data)})
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == (
            f"文件 {name}：第 3 行 B 列（需求标题）的单元格有 {CELL + 1} 个字符，超过一次上传"
            f"每个单元格的上限 {CELL}（TECHMATCH_MAX_UPLOAD_CELL_CHARS），请缩短后再上传")
    assert small.get("/v1/needs/cell-1", headers=headers("read")).status_code == 404


def test_a_workbook_that_unpacks_too_far_is_refused_unread(
        small: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _xlsx("", pad=3_000_000)
    assert len(data) < 20_000  # far inside the body limit

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the workbook was parsed")
    monkeypatch.setattr(openpyxl, "load_workbook", never)
    response = small.post("/v1/needs/upload", headers=headers("write"),
                          files={"file": ("bomb.xlsx", data)})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("文件 bomb.xlsx：工作簿解压后有 ")
    assert "超过一次上传的上限 2000000 字节（TECHMATCH_MAX_UPLOAD_UNPACKED_BYTES）" in detail
    assert "最大的部分是 xl/worksheets/sheet1.xml（" in detail


def test_cells_within_the_limit_load(small: TestClient) -> None:
    book = openpyxl.Workbook()
    book.active.append(["需求编号", "需求标题", "需求描述"])
    book.active.append(["cell-1", "注塑件缩痕问题", "缩" * CELL])
    data = io.BytesIO()
    book.save(data)
    for name, body in (("ok.xlsx", data.getvalue()),
                       ("ok.csv", f"id,title,description\ncell-2,缩痕,{'缩' * CELL}\n".encode())):
        response = small.post("/v1/needs/upload", headers=headers("write"),
                              files={"file": (name, body)})
        assert response.status_code == 200, response.text
        assert len(response.json()["inserted"]) == 1


def test_console_upload_says_which_cell_in_chinese(small: TestClient) -> None:
    console_login(small, "write")
    form = small.get("/upload", headers=HTML)
    token = csrf_of(form.text)
    response = small.post("/upload", headers=HTML,
                          files={"file": ("long.xlsx", _xlsx("缩" * (CELL + 1)))},
                          data={"kind": "need", "csrf_token": token})
    assert response.status_code == 400
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert (f"long.xlsx：第 3 行 B 列（需求标题）的单元格有 {CELL + 1} 个字符，"
            f"超过一次上传每个单元格的上限 {CELL}（TECHMATCH_MAX_UPLOAD_CELL_CHARS）") in text


def test_the_cli_reads_without_limits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "local.xlsx"
    path.write_bytes(_xlsx("缩" * (CELL + 1)))
    assert len(read_source(path).rows) == 2  # techmatch ingest: no upload limits
    with row_limit(10):  # a row limit alone (as before) sets no cell limit either
        assert len(read_source(path).rows) == 2
