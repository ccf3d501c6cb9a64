"""Uploads say why in Chinese over real HTTP: the loader's reasons reached API clients (and the
CLI) in English — 'must be one of 'open', 'matched' or 'closed' (got '处理中')', 'unknown
columns ignored: 备注', 'file e.csv: the file has no header row (it is empty)' — while only the
console translated them. The loader now raises them in Chinese; codes stay codes."""

from __future__ import annotations

import re

import httpx
from api_support import headers

_ENGLISH_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


def _upload(url: str, name: str, data: bytes) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60) as client:
        return client.post("/v1/needs/upload", headers=headers("write"),
                           files={"file": (name, data, "text/csv")})


def test_rejected_rows_and_warnings_read_in_chinese(live_server: str) -> None:
    rows = ("需求编号,需求标题,状态,创建时间,备注\n"
            "U1,碳化硅模块散热,待匹配,2024/1/5,\n"
            "U2,浆料分散,处理中,2024-01-05,\n"
            ",缺编号的需求,待匹配,,\n"
            "U4,涂层附着力,待匹配,昨天,\n")
    r = _upload(live_server, "needs.csv", rows.encode())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["inserted"] == ["U1"]
    said = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert said == {
        (3, "status"): "取值应为 待匹配、已匹配、已关闭 之一（收到 处理中）",
        (4, "id"): "必填",
        (5, "created_at"): "应为日期，如 2024-01-05、2024/1/5 或 2024年1月5日（收到 '昨天'）"}
    assert body["warnings"] == ["needs.csv：已忽略未知列：备注"]


def test_refused_files_read_in_chinese(live_server: str) -> None:
    empty = _upload(live_server, "e.csv", b"")
    assert empty.status_code == 422
    assert empty.json()["detail"] == "文件 e.csv：文件为空，没有表头行"
    broken = _upload(live_server, "q.xlsx", b"PK\x03\x04 not a workbook")
    assert broken.json()["detail"] == "文件 q.xlsx：不是可读取的 XLSX 工作簿（文件损坏或不是 XLSX）"
    no_id = _upload(live_server, "h.csv", "名称,描述\n好,苏州\n".encode())
    detail = no_id.json()["detail"]
    assert detail.startswith("文件 h.csv，字段 id：缺少编号列（可用表头：")
    assert detail.endswith("；第 1 行被读作表头：名称、描述")
    for text in (empty.json()["detail"], broken.json()["detail"]):
        assert not _ENGLISH_WORD.search(re.sub(r"\w+\.(csv|xlsx)|XLSX", "", text)), text
