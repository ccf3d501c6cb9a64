"""A batch run killed with SIGKILL stays `running` in `batch_runs` (nothing could close it)
and was shown as 运行中 until the next run: in GET /v1/batch/runs, on the console's 工作台
and nowhere in /metrics. A run still marked running whose process no longer holds the batch
lock is now shown as `interrupted` (中断) everywhere staff look; a live run stays running.
The stored status is unchanged: the next `techmatch batch` resumes the run."""

from __future__ import annotations

import re

from api_support import console_login, headers
from fastapi.testclient import TestClient

from techmatch.matcher.batch.lock import LOCK_NAME
from techmatch.matcher.engine import Engine
from techmatch.store import Store
from techmatch.store.batch import RunRecord

HTML = {"accept": "text/html"}
RUN = RunRecord(run_id="20261130T010000Z-abc123", started="2026-11-30T01:00:00.000000+00:00",
                finished=None, status="running", kinds=["achievement"], k=3, full=False)



def _seen(client: TestClient) -> tuple[tuple[str, str], str, str]:
    [run] = client.get("/v1/batch/runs", headers=headers("read")).json()
    page = re.sub(r"<[^>]+>", " ", client.get("/", headers=HTML).text)
    tile = re.search(r"(\S+)\s+最近批量匹配", page)
    assert tile is not None
    metric = re.search(r'^techmatch_last_batch_run_info\{run_id="([^"]+)",status="(\w+)"\} 1\.0$',
                       client.get("/metrics").text, re.M)
    assert metric is not None and metric.group(1) == RUN.run_id
    return (run["status"], run["status_label"]), tile.group(1), metric.group(2)


def test_a_run_whose_process_died_is_shown_interrupted(client: TestClient,
                                                       engine: Engine) -> None:
    with engine.store.transaction():
        engine.store.batch.insert_run(RUN)
    console_login(client, "read")
    assert _seen(client) == (("interrupted", "中断"), "中断", "interrupted")
    assert engine.store.batch.get_run(RUN.run_id).status == "running"  # resumable as before

    holder = Store(engine.settings.home / "store.sqlite")
    try:
        with holder.advisory_lock(LOCK_NAME):  # a live batch process holds the lock
            assert _seen(client) == (("running", "运行中"), "运行中", "running")
    finally:
        holder.close()
