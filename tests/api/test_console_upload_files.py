"""批量导入 over HTTP with files as staff export them (helper-49 audit): a workbook with a cover
sheet and a title row loads and says so in Chinese; Excel's Unicode text (.txt) is accepted;
an Excel 97-2003 .xls is told to be saved as .xlsx. Real app and encoder, tiny home."""

from __future__ import annotations

import io
import re

import openpyxl
from api_support import console_login, csrf_of
from fastapi.testclient import TestClient
from test_console_decide import HTML


def _upload(client: TestClient, name: str, data: bytes) -> tuple[int, str]:
    form = client.get("/upload", headers=HTML)
    token = csrf_of(form.text)
    response = client.post("/upload", headers=HTML, files={"file": (name, data)},
                           data={"kind": "need", "csrf_token": token})
    return response.status_code, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


def test_upload_of_staff_files(client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    console_login(client, "write")
    book = openpyxl.Workbook()
    book.active.title = "填表说明"
    book.active.append(["请勿修改列名"])
    sheet = book.create_sheet("需求")
    sheet.append(["2024年企业技术需求汇总表"])
    sheet.append(["需求編號", "需求標題", "問題描述"])
    sheet.append(["up-1", "焊接機器人", "焊縫跟蹤精度不足"])
    data = io.BytesIO()
    book.save(data)
    status, text = _upload(client, "需求汇总.xlsx", data.getvalue())
    assert status == 200, text[:800]
    assert "第 2 行作为表头，其上的标题行已跳过：2024年企业技术需求汇总表" in text
    assert "已读取工作表「需求」，未读取：填表说明" in text
    assert engine.store.get("up-1").title == "焊接機器人"
    status, text = _upload(client, "needs.txt", "需求编号\t需求名称\r\nup-2\t电池预警\r\n"
                           .encode("utf-16"))
    assert status == 200, text[:800]
    assert engine.store.get("up-2").title == "电池预警"
    status, text = _upload(client, "needs.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert status == 400 and "请在 Excel 中另存为 .xlsx" in text, text[:800]
