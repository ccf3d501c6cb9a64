"""An 89 KB XLSX unpacks to 300,000 rows: uploaded, it held a server thread for 35 s and
~600 MB before being refused for its header. Uploads (records, console 批量导入, docking and
programme imports) now stop reading at `max_upload_rows` data rows and refuse the file,
naming the limit; a file within it loads as before."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient
from test_console_decide import HTML

from techmatch.api.console.messages import upload_error
from techmatch.errors import IngestError
from techmatch.indexers.ingest.readers import read_source, row_limit

LIMIT = 20


def _xlsx(rows: int) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["需求编号", "需求标题"])
    for i in range(rows):
        book.active.append([f"big-{i}", f"注塑件缩痕问题 {i}"])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


@pytest.fixture()
def small(client: TestClient) -> TestClient:
    client.app.state.tm.settings.max_upload_rows = LIMIT  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize("url", ["/v1/needs/upload", "/v1/dockings/import",
                                 "/v1/programme/import/event"])
def test_api_uploads_over_the_row_limit_are_refused(small: TestClient, url: str) -> None:
    for name, data in (("big.xlsx", _xlsx(LIMIT + 1)),
                       ("big.csv", ("id,title\n" + "".join(
                           f"big-{i},t{i}\n" for i in range(LIMIT + 1))).encode())):
        response = small.post(url, headers=headers("write"), files={"file": (name, data)})
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == (
            f"文件 {name}：文件超过 {LIMIT} 行数据（一次上传的上限，TECHMATCH_MAX_UPLOAD_ROWS），"
            f"请拆分后分批上传，或在服务器上用 techmatch ingest 导入")
    assert small.get("/v1/needs/big-0", headers=headers("read")).status_code == 404


def test_a_file_within_the_limit_loads(small: TestClient) -> None:
    response = small.post("/v1/needs/upload", headers=headers("write"),
                          files={"file": ("ok.xlsx", _xlsx(LIMIT))})
    assert response.status_code == 200, response.text
    assert len(response.json()["inserted"]) == LIMIT


def test_console_upload_names_the_limit_in_chinese(small: TestClient) -> None:
    console_login(small, "write")
    form = small.get("/upload", headers=HTML)
    token = csrf_of(form.text)
    response = small.post("/upload", headers=HTML, files={"file": ("big.xlsx", _xlsx(LIMIT + 1))},
                          data={"kind": "need", "csrf_token": token})
    assert response.status_code == 400
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert (f"big.xlsx：文件超过 {LIMIT} 行数据（一次上传的上限，TECHMATCH_MAX_UPLOAD_ROWS），"
            "请拆分后分批上传，或在服务器上用 techmatch ingest 导入") in text


def test_row_limit_is_scoped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,title\n" + "".join(f"r{i},t{i}\n" for i in range(6)), encoding="utf-8")
    with row_limit(5), pytest.raises(IngestError) as caught:
        read_source(path, name="a.csv")
    assert upload_error(caught.value).startswith("a.csv：文件超过 5 行数据")
    assert len(read_source(path, name="a.csv").rows) == 6  # outside the block: no limit
