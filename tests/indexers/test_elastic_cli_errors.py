"""What an operator's terminal shows when the Elasticsearch cluster cannot be reached: one
error line naming the URL and the cause, not the client's retry tracebacks and per-request
log lines (helper-51 operations audit)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # released on close: nothing listens there


def test_unreachable_cluster_is_one_error_line_without_tracebacks(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "TECHMATCH_BACKEND": "elasticsearch", "TECHMATCH_ES_URL": url,
           "TECHMATCH_HOME": str(tmp_path / "home"), "TECHMATCH_ES_INDEX_PREFIX": "tmclosed",
           "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    env.pop("TECHMATCH_STORE_URL", None)
    (tmp_path / "home").mkdir()  # an existing home: a missing one is refused before the cluster
    done = subprocess.run([sys.executable, "-m", "techmatch", "search", "电池", "--kind", "need"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 8, done.stderr[-2000:]
    assert f"错误：无法连接 Elasticsearch {url}" in done.stderr
    assert f"Elasticsearch at {url} is unreachable" in done.stderr
    assert "Connection refused" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "[status:N/A" not in done.stderr  # the client's per-request INFO lines
    assert "Retrying request after failure" in done.stderr  # the retries stay visible, briefly


def test_ingest_with_cluster_down_keeps_rows_and_says_how_to_catch_up(tmp_path: Path) -> None:
    """The store commit comes first; when the cluster is down the operator is told the rows
    are stored and which command brings the index up to date once it is back."""
    from techmatch.store import Store

    source = tmp_path / "achievements.jsonl"
    source.write_text('{"id": "A1", "title": "石墨烯导热膜量产工艺", "abstract": "导热膜"}\n'
                      '{"id": "A2", "title": "钠离子电池正极包覆", "abstract": "包覆"}\n',
                      encoding="utf-8")
    home = tmp_path / "home"
    env = {**os.environ, "TECHMATCH_BACKEND": "elasticsearch",
           "TECHMATCH_ES_URL": f"http://127.0.0.1:{_closed_port()}", "TECHMATCH_HOME": str(home),
           "TECHMATCH_ES_INDEX_PREFIX": "tmclosed", "OMP_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1"}
    env.pop("TECHMATCH_STORE_URL", None)
    done = subprocess.run([sys.executable, "-m", "techmatch", "ingest", str(source),
                           "--kind", "achievement"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 8, done.stderr[-2000:]
    assert "新增 2 条" in done.stdout
    assert "索引未更新" in done.stderr
    assert "techmatch index --kind achievement" in done.stderr
    store = Store(home / "store.sqlite")
    try:
        assert store.count("achievement") == 2
    finally:
        store.close()


def test_delete_with_cluster_down_says_the_store_has_it_and_how_to_catch_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`techmatch delete` with the cluster down printed 'deleted …' and then only the
    unreachable error (exit 8): was the record still findable? It now says, as ingest does,
    that the store has the change and which command updates the index."""
    from typer.testing import CliRunner

    from techmatch.cli import app
    from techmatch.indexers import vector_cache as encoder_module
    from techmatch.models.records import KIND_LABELS
    from techmatch.store import Store

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
    from contract import FakeEncoder, contract_records

    home = tmp_path / "home"
    home.mkdir()
    record = contract_records()[0]
    store = Store(home / "store.sqlite")
    store.upsert([record])
    store.close()
    for key, value in {"BACKEND": "elasticsearch", "HOME": str(home), "THREADS": "1",
                       "ES_URL": f"http://127.0.0.1:{_closed_port()}",
                       "ES_INDEX_PREFIX": "tmclosed"}.items():
        monkeypatch.setenv(f"TECHMATCH_{key}", value)
    monkeypatch.delenv("TECHMATCH_STORE_URL", raising=False)
    monkeypatch.setattr(encoder_module, "build_encoder", lambda *a, **k: FakeEncoder())
    done = CliRunner().invoke(app, ["delete", record.id])
    assert done.exit_code == 8, done.output
    assert f"已删除{KIND_LABELS[record.kind]} {record.id}" in done.stdout
    assert "索引未更新：改动已存入存储" in done.stderr
    assert f"techmatch index --kind {record.kind}" in done.stderr
    store = Store(home / "store.sqlite")
    try:
        assert store.count(record.kind) == 0
    finally:
        store.close()
