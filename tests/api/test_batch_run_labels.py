"""GET /v1/batch/runs carried only codes (`status: finished`, reasons `new` …); staff-facing
JSON keeps the code and a Chinese label beside it: `status_label`, `reason_labels`."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

from techmatch.matcher.batch.run import BatchOptions, run_batch
from techmatch.matcher.engine import Engine


def test_batch_runs_carry_chinese_labels(client: TestClient, engine: Engine) -> None:
    run_batch(engine, BatchOptions(kinds=("achievement",), k=3, explain=False))
    [run] = client.get("/v1/batch/runs", headers=headers("read")).json()
    assert (run["status"], run["status_label"]) == ("finished", "完成")
    assert run["counts"]["achievement"]["reasons"] == {"new": 4}  # the 4 open needs
    assert run["reason_labels"] == {"new": "尚无结果"}
