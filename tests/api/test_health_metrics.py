"""/healthz, /readyz (503 until loaded, or when an index is missing) and /metrics."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from api_support import API_KEYS, headers, wait_ready
from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.config import Settings
from techmatch.matcher.engine import STORE_FILE, Engine
from techmatch.models.records import Need
from techmatch.store import Store
from techmatch.store.batch import RunRecord


def test_readyz_is_503_until_indexes_are_loaded(engine: Engine) -> None:
    gate = threading.Event()
    real_index = engine.index

    def gated_index(kind: str):  # noqa: ANN202
        gate.wait(30)
        return real_index(kind)

    engine.index = gated_index  # type: ignore[method-assign]
    with TestClient(create_app(engine.settings, engine=engine)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        loading = client.get("/readyz")
        assert loading.status_code == 503 and loading.json()["status"] == "loading"
        assert loading.json()["detail"] == "引擎与索引正在加载"
        search = client.post("/v1/search", json={"kind": "need", "text": "裂纹"},
                             headers=headers("read"))
        assert search.status_code == 503 and search.headers["retry-after"] == "5"
        assert search.json()["detail"] == "引擎与索引正在加载，请在 /readyz 显示就绪后重试"
        gate.set()
        wait_ready(client)
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["generations"]["need"] == "gen-1"
        assert ready["documents"] == {"need": 4, "achievement": 4, "expert": 2}


def test_readyz_lagging_until_the_follower_builds_a_missing_index(tmp_path,  # noqa: ANN001
                                                                  engine: Engine) -> None:
    home = tmp_path / "fresh"
    home.mkdir()
    settings = Settings(home=home, threads=1, api_keys=API_KEYS)
    store = Store(home / STORE_FILE)
    store.upsert([Need(id="n1", title="题目")])
    fresh = Engine(settings=settings, store=store, tokenizer=engine.tokenizer,
                   encoder=engine.encoder)
    with TestClient(create_app(settings, engine=fresh)) as client:
        deadline = time.monotonic() + 30
        while client.get("/readyz").json()["status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.05)
        seen = []
        while time.monotonic() < deadline:
            response = client.get("/readyz")
            body = response.json()
            seen.append((response.status_code, body["status"], body["lag"]["need"]["records"]))
            if body["status"] == "ready":
                break
            time.sleep(0.05)
        # No write arrived: the follower alone built the need index from the store.
        assert seen[-1] == (200, "ready", 0)
        assert all(code == 503 and records == 1 for code, status, records in seen[:-1]
                   if status != "ready")
        searched = client.post("/v1/search", json={"kind": "need", "text": "题目"},
                               headers=headers("read"))
        assert searched.status_code == 200 and searched.json()["hits"][0]["id"] == "n1"


def test_lag_is_what_the_published_index_holds(tmp_path, engine: Engine,  # noqa: ANN001
                                                monkeypatch) -> None:  # noqa: ANN001
    """The follower publishes an index (`engine.sync`) before it records the sequence applied;
    /readyz read in between said ready with lag 1 (a fresh-clone run caught it). The lag is
    what the published index holds, whoever built it: here the follower never records."""
    from techmatch.api.syncer import IndexSyncer

    home = tmp_path / "published"
    home.mkdir()
    store = Store(home / STORE_FILE)
    store.upsert([Need(id="n1", title="题目")])
    fresh = Engine(settings=Settings(home=home, threads=1), store=store,
                   tokenizer=engine.tokenizer, encoder=engine.encoder)
    monkeypatch.setattr(IndexSyncer, "_sync_one", lambda self, kind: None)
    syncer = IndexSyncer(fresh, ("need",), interval=0.05)
    try:
        assert syncer.lag("need").records == 1  # nothing indexed yet
        fresh.sync(("need",))  # published; the follower has recorded nothing
        lag = syncer.lag("need")
        assert (lag.records, lag.applied_seq) == (0, store.last_seq("need"))
    finally:
        syncer.close()


def _metric(text: str, prefix: str) -> float:
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    assert lines, f"no metric {prefix}"
    return float(lines[0].rsplit(" ", 1)[1])


def test_metrics_latency_per_route_template_and_index_gauges(client: TestClient) -> None:
    for rid in ("need-blade", "need-water", "missing"):
        client.get(f"/v1/needs/{rid}", headers=headers("read"))
    text = client.get("/metrics").text
    count = 'techmatch_http_request_duration_seconds_count{method="GET",route="/v1/needs/{rid}"'
    assert _metric(text, count + ',status="200"}') == 2.0
    assert _metric(text, count + ',status="404"}') == 1.0
    assert _metric(text, 'techmatch_index_documents{kind="need"}') == 4.0
    assert _metric(text, 'techmatch_index_generation_info{generation="gen-1",kind="need"}') == 1
    assert _metric(text, 'techmatch_store_records{kind="expert"}') == 2.0
    assert _metric(text, "techmatch_last_batch_run_timestamp_seconds") == 0.0


def test_last_batch_run_read_from_batch_runs_table(client: TestClient, engine: Engine) -> None:
    finished = datetime(2025, 3, 1, 2, 0, tzinfo=timezone.utc)
    engine.store.batch.insert_run(RunRecord(
        run_id="r1", started=finished.isoformat(), finished=finished.isoformat(),
        status="finished", kinds=["achievement"], k=10, full=False))
    text = client.get("/metrics").text
    assert _metric(text, "techmatch_last_batch_run_timestamp_seconds") == finished.timestamp()


def test_each_app_has_its_own_registry(engine: Engine) -> None:
    one = create_app(engine.settings, engine=engine)
    two = create_app(engine.settings, engine=engine)
    assert one.state.metrics.registry is not two.state.metrics.registry


def test_cors_off_by_default_and_on_when_configured(engine: Engine) -> None:
    preflight = {"Origin": "https://staff.example", "Access-Control-Request-Method": "GET"}
    with TestClient(create_app(engine.settings, engine=engine)) as client:
        assert "access-control-allow-origin" not in client.options("/v1/needs",
                                                                    headers=preflight).headers
    settings = engine.settings.model_copy(update={"cors_origins": "https://staff.example"})
    with TestClient(create_app(settings, engine=engine)) as client:
        got = client.options("/v1/needs", headers=preflight).headers
        assert got["access-control-allow-origin"] == "https://staff.example"


def test_openapi_is_documented_in_chinese_with_problem_responses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/match/needs/{need_id}"]["get"]
    assert "匹配" in operation["summary"]
    assert "application/problem+json" in operation["responses"]["422"]["content"]
    assert "ApiKey" in schema["components"]["securitySchemes"]
    need_create = schema["components"]["schemas"]["NeedCreate"]
    assert need_create["examples"][0]["title"].startswith("航空发动机")


def test_last_batch_run_is_the_last_finished_one_not_a_failed_or_abandoned_one(
        client: TestClient, engine: Engine) -> None:
    """A nightly run that failed (or was abandoned) still gets a `finished` time; the
    metric staff alert on ("no batch for 26 h") must keep the last run that finished."""
    ok = datetime(2025, 3, 1, 2, 0, tzinfo=timezone.utc)
    later = datetime(2025, 3, 2, 2, 0, tzinfo=timezone.utc)
    for run_id, status, when in (("r1", "finished", ok), ("r2", "failed", later),
                                 ("r3", "abandoned", later)):
        engine.store.batch.insert_run(RunRecord(
            run_id=run_id, started=when.isoformat(), finished=when.isoformat(),
            status=status, kinds=["achievement"], k=10, full=False))
    text = client.get("/metrics").text
    assert _metric(text, "techmatch_last_batch_run_timestamp_seconds") == ok.timestamp()
