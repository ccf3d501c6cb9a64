"""Several API nodes on one PostgreSQL store: real `techmatch serve` processes, each with its
own home (embedded index following the shared change log), a real PostgreSQL server.

- a write on node A is searchable on node B within VISIBLE_BOUND seconds (the measured delay
  is printed; README quotes it with the machine load);
- two nodes starting the nightly batch: one runs, the other exits with the lock code 6;
- a PostgreSQL restart under load: requests touching the store get 503 + Retry-After, the
  nodes answer again (and follow each other's writes) without being restarted;
- SIGKILL of a node in the middle of a batch upsert leaves no partial rows.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from nodes import ROOT, SAMPLE_FILES, SAMPLES, Node, node_env, start_node
from services.pg_server import PgServer

from techmatch.indexers.ingest.load import ingest_files
from techmatch.store import Store
from techmatch.store.db import lock_key

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgresql")]
VISIBLE_BOUND = 60.0  # seconds; measured delays are far below it (README, "Several nodes")
RECOVER_BOUND = 120.0
EXIT_LOCKED = 6


@dataclass
class Cluster:
    server: PgServer
    url: str
    a: Node
    b: Node
    root: Path


@pytest.fixture()
def cluster(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not isinstance(pg_server, PgServer):
        pytest.skip("restart and kill tests need the server the tests started")
    url = pg_server.create_database("nodes")
    root = tmp_path_factory.mktemp("nodes")
    store = Store(url)
    try:
        for kind, name in SAMPLE_FILES.items():
            ingest_files([SAMPLES / name], kind, store)
    finally:
        store.close()
    nodes = Cluster(pg_server, url, start_node(root / "a", url), start_node(root / "b", url),
                    root)
    try:
        for node in (nodes.a, nodes.b):
            node.wait_ready()
            with node.client(timeout=300) as client:  # the first query loads the encoder
                assert client.post("/v1/search", json={"kind": "need", "text": "涂层"}
                                   ).status_code == 200
        yield nodes
    finally:
        nodes.a.stop()  # node A as restarted by the SIGKILL phase
        nodes.b.stop()


def _visible(node: Node, rid: str, text: str, bound: float) -> float:
    """Seconds until a search on `node` ranks `rid` first (fails after `bound`)."""
    start = time.monotonic()
    with node.client() as client:
        while time.monotonic() - start < bound:
            response = client.post("/v1/search", json={"kind": "need", "text": text, "k": 3})
            hits = response.json().get("hits", []) if response.status_code == 200 else []
            if hits and hits[0]["id"] == rid:
                return time.monotonic() - start
            time.sleep(0.05)
    raise AssertionError(f"{rid} not searchable on {node.url} after {bound} s")


def write_on_a_is_searchable_on_b(cluster: Cluster) -> None:
    body = {"id": "need-node-a", "title": "氢燃料电池金属双极板涂层腐蚀", "province": "上海"}
    with cluster.a.client() as client:
        response = client.post("/v1/needs", json=body)
    assert response.status_code == 200 and response.json()["status"] == "inserted"
    delay = _visible(cluster.b, "need-node-a", "燃料电池 金属双极板 涂层", VISIBLE_BOUND)
    print(f"\nwrite on A searchable on B after {delay:.2f} s")
    with cluster.b.client() as client:
        assert client.get("/v1/needs/need-node-a").json()["title"] == body["title"]


def _batch(cluster: Cluster, home: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "techmatch", "batch", "--kinds", "achievement",
                             "--k", "3", "--no-explain"], cwd=ROOT,
                            env=node_env(cluster.root / home, cluster.url), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _holds_batch_lock(url: str) -> bool:
    key = lock_key("batch") & 0xFFFFFFFFFFFFFFFF
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                           "granted AND classid = %s::oid AND objid = %s::oid",
                           (key >> 32, key & 0xFFFFFFFF)).fetchone()
    return bool(row and row[0])


def two_nodes_start_the_batch_one_runs(cluster: Cluster) -> None:
    first = _batch(cluster, "batch-a")
    try:
        deadline = time.monotonic() + 300
        while not _holds_batch_lock(cluster.url):
            assert first.poll() is None, first.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "node A never took the batch lock"
            time.sleep(0.05)
        first.send_signal(signal.SIGSTOP)  # node A is mid-run, holding the lock
        try:
            second = _batch(cluster, "batch-b")
            _, err = second.communicate(timeout=300)
        finally:
            first.send_signal(signal.SIGCONT)
        assert second.returncode == EXIT_LOCKED, err[-2000:]
        assert "另一个批量匹配正在运行" in err and "正由本存储的另一个节点持有" in err
        out, err = first.communicate(timeout=600)
        assert first.returncode == 0, err[-2000:]
    finally:
        if first.poll() is None:
            first.kill()
    again = _batch(cluster, "batch-b")  # the lock is free again: node B runs, nothing changed
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-2000:]
    assert "成果：重算 0 条" in out, out + err  # nothing changed since node A's run


def postgresql_restart_under_load(cluster: Cluster) -> None:
    statuses: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def load(node: Node) -> None:
        with node.client(timeout=30) as client:
            while not stop.is_set():
                try:
                    response = client.get("/v1/needs/need-node-a")
                    statuses.append((response.status_code, response.headers.get("retry-after")))
                except httpx.HTTPError:
                    statuses.append((0, None))
                time.sleep(0.02)

    threads = [threading.Thread(target=load, args=(n,)) for n in (cluster.a, cluster.b)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        cluster.server.stop_server("fast")
        down = len(statuses)
        time.sleep(8.0)  # longer than the pool's wait for a connection (POOL_TIMEOUT)
        outage = statuses[down:]
        cluster.server.start_server()
        started = time.monotonic()
        recovered = [_recovered(n, started + RECOVER_BOUND) for n in (cluster.a, cluster.b)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    print(f"\nnodes answer again {max(recovered):.1f} s after PostgreSQL is back")
    assert (503, "2") in outage
    assert set(statuses) <= {(200, None), (503, "2")}  # no 500, no hang-up, no other error
    for node in (cluster.a, cluster.b):  # recovered for good, not by chance
        with node.client() as client:
            assert [client.get("/v1/needs/need-node-a").status_code for _ in range(20)] == \
                [200] * 20
    # the followers recovered too: a write on B is searchable on A
    body = {"id": "need-node-b", "title": "高温合金叶片激光熔覆修复", "province": "四川"}
    with cluster.b.client() as client:
        assert client.post("/v1/needs", json=body).status_code == 200
    _visible(cluster.a, "need-node-b", "高温合金 叶片 激光熔覆", RECOVER_BOUND)


def _recovered(node: Node, deadline: float) -> float:
    """Seconds from now until `node` answers 10 store reads in a row with 200."""
    start = time.monotonic()
    streak = 0
    with node.client() as client:
        while streak < 10:
            assert time.monotonic() < deadline, f"{node.url} did not recover"
            ok = client.get("/v1/needs/need-node-a").status_code == 200
            streak = streak + 1 if ok else 0
            time.sleep(0.05)
    return time.monotonic() - start


def _blocked_backends(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'").fetchone()
    return int(row[0]) if row else 0


def sigkill_mid_upsert_leaves_no_partial_rows(cluster: Cluster) -> None:
    store = Store(cluster.url)
    try:
        blocker_id = "need-kill-0500"
        store.upsert([_need(blocker_id, "阻塞")])
        before = (store.count(), store.last_seq())
        batch = [_need(f"need-kill-{i:04d}", f"批量需求{i}") for i in range(1000)]
        # Hold the row of one record in the middle of the batch: node A's transaction writes
        # 500 rows, then waits on it — provably in the middle when it is killed.
        with psycopg.connect(cluster.url) as holder:
            holder.execute("SELECT id FROM records WHERE id = %s FOR UPDATE", (blocker_id,))
            sender = threading.Thread(target=_post_batch, args=(cluster.a, batch), daemon=True)
            sender.start()
            deadline = time.monotonic() + 120
            while _blocked_backends(cluster.url) == 0:
                assert time.monotonic() < deadline, "node A's upsert never reached the row"
                time.sleep(0.02)
            cluster.a.kill()
            holder.rollback()
        deadline = time.monotonic() + 60
        while _blocked_backends(cluster.url) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (store.count(), store.last_seq()) == before
        assert store.get_many([f"need-kill-{i:04d}" for i in range(1000)]).keys() == {
            blocker_id}
        assert store.get(blocker_id).title == "阻塞"
    finally:
        store.close()
    # the killed node comes back on its home and serves the same truth
    cluster.a = start_node(cluster.a.home, cluster.url)
    cluster.a.wait_ready()
    with cluster.a.client() as client:
        assert client.get("/v1/needs/need-kill-0001").status_code == 404


def _need(rid: str, title: str) -> object:
    from techmatch.models import Need

    return Need(id=rid, title=title, province="江苏")


def _post_batch(node: Node, batch: list[object]) -> None:
    payload = {"records": [r.model_dump(mode="json") for r in batch]}  # type: ignore[attr-defined]
    try:
        httpx.post(f"{node.url}/v1/needs/batch", json=payload, timeout=300)
    except httpx.HTTPError:
        pass  # the node is killed mid-request


def test_two_api_nodes_on_one_postgresql(cluster: Cluster) -> None:
    """The phases share one cluster and build on each other's writes, so they are one test:
    xdist never splits them over two workers (each would start its own nodes)."""
    write_on_a_is_searchable_on_b(cluster)
    two_nodes_start_the_batch_one_runs(cluster)
    postgresql_restart_under_load(cluster)
    sigkill_mid_upsert_leaves_no_partial_rows(cluster)
