"""覆盖分析 named the batch its numbers come from by the first 15 characters of the run id —
20261201T072150, the run's start in UTC — under 数据来自批次, while 工作台 says the same run
finished 2026-12-01 15:21（北京时间）: a raw code, in UTC, not matching the other page. The tile
now reads the run's time in Beijing time (the id in its tooltip), and the XLSX 概要 gives
批次时间（北京时间） beside 批次."""

from __future__ import annotations

import io
import re

from api_support import console_login
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from test_console_decide import HTML

from techmatch.matcher.batch import BatchOptions, results, run_batch
from techmatch.matcher.engine import Engine
from techmatch.models.programme import china_minute


def test_coverage_names_its_batch_by_its_time_in_beijing(client: TestClient,
                                                         engine: Engine) -> None:
    run_batch(engine, BatchOptions(k=3, explain=False))
    run = results.runs(engine.store, status="finished", limit=1)[0]
    when = china_minute(run.finished or run.started)
    assert when and run.run_id[:15] != when
    console_login(client, "read")
    page = client.get("/coverage", headers=HTML)
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", " ", page.text)
    assert run.run_id[:15] not in text
    tile = re.search(r'<div class="n small"[^>]*>([^<]*)</div><div class="l">([^<]*)</div>',
                     page.text)
    assert tile is not None, page.text[:3000]
    assert tile.groups() == (when, "数据来自批次（北京时间）")
    book = load_workbook(io.BytesIO(client.get("/coverage/xlsx", headers=HTML).content))
    summary = dict(book["概要"].iter_rows(min_row=2, values_only=True))
    assert summary["批次"] == run.run_id
    assert summary["批次时间（北京时间）"] == when
    dashboard = client.get("/", headers=HTML).text
    assert f"{when}（北京时间）" in dashboard  # the 工作台 tile says the same time
