"""Coverage stats and batch results over HTTP, with confidential needs hidden from read keys."""

from __future__ import annotations

from api_support import SECRET_NEED, headers
from fastapi.testclient import TestClient

from techmatch.matcher.batch.run import BatchOptions, run_batch
from techmatch.matcher.engine import Engine


def test_coverage_and_batch_results(client: TestClient, engine: Engine) -> None:
    summary = run_batch(engine, BatchOptions(kinds=("achievement",), k=3, explain=False))
    assert summary.recomputed >= 3
    # threshold 1.0: every open need counts as unmatched (the secret need's near-verbatim
    # answer ach-bms is ≥ 0.99 confident), so the list shows what each key may see
    cov = client.get("/v1/stats/coverage?threshold=1.0", headers=headers("admin")).json()
    assert cov["totals"]["open_needs"] == 4
    ids = {u["id"] for u in cov["unmatched"]}
    assert SECRET_NEED in ids
    read = client.get("/v1/stats/coverage?threshold=1.0", headers=headers("read")).json()
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
    assert all(h["conflict"] is None and h["conflict_label"] is None for h in hits)


def test_batch_results_mark_the_enterprises_own_result(client: TestClient,
                                                       engine: Engine) -> None:
    """The same mark as a live match: need-water's enterprise holds ach-ozone."""
    need, own = engine.store.get("need-water"), engine.store.get("ach-ozone")
    engine.store.upsert([need.model_copy(update={"enterprise": "绍兴印染集团"}),
                         own.model_copy(update={"institution": "紹興印染集團"})])
    engine.sync()
    run_batch(engine, BatchOptions(kinds=("achievement",), k=3, explain=False))
    hits = client.get("/v1/batch/results/need-water", headers=headers("read")).json()
    marked = {h["candidate_id"]: (h["conflict"], h["conflict_label"]) for h in hits
              if h["conflict"]}
    assert marked == {"ach-ozone": ("own_result", "需求企业自有成果")}, hits
    live = client.get("/v1/match/needs/need-water?target=achievement&k=3",
                      headers=headers("read")).json()
    assert {h["id"]: h["conflict"] for h in live["hits"]}["ach-ozone"] == "own_result"


def test_no_batch_yet_gives_empty_lists(client: TestClient) -> None:
    assert client.get("/v1/batch/runs", headers=headers("read")).json() == []
    assert client.get("/v1/batch/results/need-water", headers=headers("read")).json() == []


def test_stats_need_a_key(client: TestClient) -> None:
    assert client.get("/v1/stats/coverage").status_code == 401


def test_batch_leaves_a_dropped_pair_out_and_lists_it(client: TestClient,
                                                      engine: Engine) -> None:
    run_batch(engine, BatchOptions(kinds=("achievement",), k=3, explain=False))
    before = client.get("/v1/batch/results/need-water", headers=headers("read")).json()
    top = before[0]["candidate_id"]
    assert client.get("/v1/batch/excluded/need-water", headers=headers("read")).json() == []
    made = client.post("/v1/dockings", json={"need_id": "need-water", "candidate_id": top,
                                             "source": "batch"}, headers=headers("write"))
    assert made.status_code == 201, made.text
    moved = client.post(f"/v1/dockings/{made.json()['id']}/moves",
                        json={"to": "dropped", "version": made.json()["version"],
                              "reason": "not_relevant"}, headers=headers("write"))
    assert moved.status_code == 200, moved.text
    run_batch(engine, BatchOptions(kinds=("achievement",), k=3, explain=False))
    after = client.get("/v1/batch/results/need-water", headers=headers("read")).json()
    assert top not in {h["candidate_id"] for h in after}
    assert [h["candidate_id"] for h in after][:2] == [h["candidate_id"] for h in before][1:3]
    excluded = client.get("/v1/batch/excluded/need-water", headers=headers("read")).json()
    assert [(e["candidate_id"], e["reason"], e["reason_label"]) for e in excluded] == [
        (top, "not_relevant", "不相关")]
    assert client.get(f"/v1/batch/excluded/{SECRET_NEED}",
                      headers=headers("read")).status_code == 404


def test_batch_results_of_an_unknown_need_are_404(client: TestClient) -> None:
    """A typo in the need id answered 200 [] — the same as 'no batch run yet'."""
    for path in ("/v1/batch/results/need-nope", "/v1/batch/excluded/need-nope",
                 "/v1/batch/results/ach-eddy"):  # an achievement is not a need
        r = client.get(path, headers=headers("read"))
        assert r.status_code == 404, (path, r.text)
        assert r.json()["detail"].startswith("没有编号为 "), r.text
        assert r.json()["detail"].endswith(" 的需求"), r.text


def test_batch_results_of_a_closed_need_mark_a_deleted_candidate(client: TestClient,
                                                                  engine: Engine) -> None:
    """A matched need leaves the batch and keeps its last results; when one of its stored
    candidates is deleted later the results still name it, and nothing said that the id
    now answers 404 (the export says 候选名称 (已删除))."""
    run_batch(engine, BatchOptions(kinds=("achievement",), k=3, explain=False))
    need = engine.store.get("need-water")
    engine.store.upsert([need.model_copy(update={"status": "matched"})])
    first = client.get("/v1/batch/results/need-water", headers=headers("read")).json()
    gone = first[0]["candidate_id"]
    engine.store.delete(gone)
    engine.sync()
    run_batch(engine, BatchOptions(kinds=("achievement",), k=3, explain=False))
    hits = client.get("/v1/batch/results/need-water", headers=headers("read")).json()
    assert [h["candidate_id"] for h in hits] == [h["candidate_id"] for h in first]
    assert [(h["candidate_id"], h["candidate_deleted"]) for h in hits] == [
        (h["candidate_id"], h["candidate_id"] == gone) for h in first]
