"""Body checks of the API that still answered in English, raised in Chinese at their source
(the field named, the values kept)."""

from __future__ import annotations

import pytest
from api_support import headers
from fastapi.testclient import TestClient


def test_an_assignment_without_a_team_or_lists_reads_in_chinese(client: TestClient) -> None:
    """POST /v1/plans/assign with need_ids but no expert_ids (nor a team) answered 422
    'body: give a team, or both expert_ids and need_ids'."""
    response = client.post("/v1/plans/assign", headers=headers("write"),
                           json={"need_ids": ["need-water"]})
    assert response.status_code == 422, response.text
    said = "请给出服务团 team，或同时给出 expert_ids（专家编号）和 need_ids（需求编号）"
    assert response.json()["detail"] == f"body: {said}"
    assert response.json()["errors"][0]["message"] == said


def test_a_dispatch_ending_before_it_starts_reads_in_chinese(client: TestClient) -> None:
    """PUT /v1/programme/dispatch with end before start answered 422 '字段 body.0：end
    2026-11-01 is before start 2026-11-10'."""
    response = client.put("/v1/programme/dispatch", headers=headers("write"),
                          json=[{"id": "D1", "team_id": "T1", "city": "苏州",
                                 "start": "2026-11-10", "end": "2026-11-01"}])
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "字段 body.0：结束日期 end（2026-11-01）早于开始日期 start（2026-11-10）")
    assert client.get("/v1/programme/dispatch/D1", headers=headers("read")).status_code == 404


def test_a_chart_without_a_chinese_font_reads_in_chinese(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard chart (GET /v1/programme/dashboard?format=png) on a server without a CJK
    font answered "no Chinese (CJK) font found for the report picture (looked for …); install
    the Debian package fonts-noto-cjk: `apt-get install fonts-noto-cjk`"."""
    from matplotlib import font_manager

    from techmatch import fonts

    monkeypatch.setattr(fonts, "CJK_FONTS", ("Techmatch No Such Font",))
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    response = client.get("/v1/programme/dashboard", headers=headers("read"),
                          params={"start": "2026-01-01", "end": "2026-12-31", "format": "png"})
    assert response.status_code == 500, response.text
    assert response.json()["detail"] == (
        "服务器上没有可绘制图片的中文字体（查找了 Techmatch No Such Font）："
        "请安装 Debian 包 fonts-noto-cjk（apt-get install fonts-noto-cjk）")
