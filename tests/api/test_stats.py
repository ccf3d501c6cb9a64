"""Coverage stats and batch results over HTTP, with confidential needs hidden from read keys."""

from __future__ import annotations

from api_support import SECRET_NEED, headers
from fastapi.testclient import TestClient

from techmatch.matcher.batch.run import BatchOptions, run_batch
from techmatch.matcher.engine import Engine


def test_coverage_and_batch_results(client: TestClient, engine: Engine) -> None:
    summary = run_batch(engine, BatchOptions(kinds=("achievement",), k=3, explain=False))
    assert summary.recomputed >= 3
    cov = client.get("/v1/stats/coverage?threshold=0.99", headers=headers("admin")).json()
    assert cov["totals"]["open_needs"] == 4
    ids = {u["id"] for u in cov["unmatched"]}
    assert SECRET_NEED in ids
    read = client.get("/v1/stats/coverage?threshold=0.99", headers=headers("read")).json()
    assert SECRET_NEED not in {u["id"] for u in read["unmatched"]}
    assert ids - {SECRET_NEED} == {u["id"] for u in read["unmatched"]}
    # The secret need's words (系统升级) reach admins' keywords, never a read key's; it still
    # counts in the totals.
    assert "升级" in {k["keyword"] for k in cov["top_keywords"]}
    assert "升级" not in {k["keyword"] for k in read["top_keywords"]}
    assert read["totals"] == cov["totals"]

    runs = client.get("/v1/batch/runs", headers=headers("read")).json()
    assert runs[0]["run_id"] == summary.run_id and runs[0]["status"] == "finished"
    hits = client.get("/v1/batch/results/need-water", headers=headers("read")).json()
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert hits[0]["candidate_id"] == "ach-ozone"
    assert client.get(f"/v1/batch/results/{SECRET_NEED}",
                      headers=headers("read")).status_code == 404


def test_no_batch_yet_gives_empty_lists(client: TestClient) -> None:
    assert client.get("/v1/batch/runs", headers=headers("read")).json() == []
    assert client.get("/v1/batch/results/need-water", headers=headers("read")).json() == []


def test_stats_need_a_key(client: TestClient) -> None:
    assert client.get("/v1/stats/coverage").status_code == 401
