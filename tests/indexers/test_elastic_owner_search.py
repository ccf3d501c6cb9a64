"""A home that only searches an Elasticsearch prefix another home built, on the session's real
node (and a real PostgreSQL server for the shared store).

Before, only sync / index / reindex checked the generation's owner (84e0b13): a server or a
CLI that only searched, on a prefix another home (another store) built, answered with that
home's records as if they were its own. Opening the index to search it now checks the owner
too: the same Chinese error (ConfigError), exit 5 on the CLI, a failed API start whose
/readyz says why. Homes on one PostgreSQL store share its store id, and so the index.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import FakeEncoder  # noqa: E402
from es_node import fresh_prefix  # noqa: E402, F401 - the `prefix` fixture

from techmatch.api.app import create_app  # noqa: E402
from techmatch.api.security import hash_key  # noqa: E402
from techmatch.cli import app  # noqa: E402
from techmatch.config import Settings  # noqa: E402
from techmatch.errors import ConfigError  # noqa: E402
from techmatch.indexers import vector_cache as encoder_module  # noqa: E402
from techmatch.matcher.engine import Engine  # noqa: E402
from techmatch.models.records import Achievement  # noqa: E402

KIND = "achievement"
KEY = "owner-search-read-key"


def _settings(home: Path, es_url: str, prefix: str, **more: object) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    return Settings(home=home, backend="elasticsearch", threads=1, es_url=es_url,
                    es_index_prefix=prefix, **more)


def _records(tag: str, n: int = 6) -> list[Achievement]:
    return [Achievement(id=f"{tag}-{i}", title=f"钠离子电池 正极材料 {tag}{i}", city="苏州")
            for i in range(n)]


def _built(settings: Settings, records: list[Achievement]) -> None:
    engine = Engine.open(settings, encoder=FakeEncoder())
    try:
        engine.store.upsert(records)
        engine.sync((KIND,))
    finally:
        engine.close()


def _ids(engine: Engine) -> set[str]:
    ranking = engine.retriever().search("钠离子电池", kind=KIND, k=20, mode="lexical")
    return {h.id for h in ranking.hits}


def test_a_home_searching_another_homes_prefix_is_refused(
        tmp_path: Path, es_url: str, prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = _settings(tmp_path / "home-a", es_url, prefix)
    _built(owner, _records("a"))
    other = _settings(tmp_path / "home-b", es_url, prefix)
    engine = Engine.open(other, encoder=FakeEncoder())
    try:
        engine.store.upsert(_records("b", 3))  # its own records, never indexed
        with pytest.raises(ConfigError) as caught:
            _ids(engine)
        message = str(caught.value)
        assert f"Elasticsearch 索引前缀 {prefix} 已被另一个数据目录使用" in message
        assert str(owner.home.resolve()) in message and str(other.home.resolve()) in message
        assert "不会用它搜索" in message and "--take-over" in message
    finally:
        engine.close()
    mine = Engine.open(owner, encoder=FakeEncoder())  # the owner searches as before
    try:
        assert _ids(mine) == {f"a-{i}" for i in range(6)}
    finally:
        mine.close()

    # the CLI: exit 5 and the message, no hits of home A
    for key, value in {"BACKEND": "elasticsearch", "ES_URL": es_url, "HOME": str(other.home),
                       "ES_INDEX_PREFIX": prefix, "THREADS": "1"}.items():
        monkeypatch.setenv(f"TECHMATCH_{key}", value)
    monkeypatch.setattr(encoder_module, "build_encoder", lambda *a, **k: FakeEncoder())
    found = CliRunner().invoke(app, ["search", "钠离子电池", "--kind", KIND, "--json"])
    assert found.exit_code == 5, found.output
    assert f"索引前缀 {prefix} 已被另一个数据目录使用" in found.output
    assert "a-0" not in found.stdout

    # the API: the start fails, /readyz says why (to a caller with a key)
    served = other.model_copy(update={"api_keys": f"read:{hash_key(KEY)}"})
    with TestClient(create_app(served), raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 60
        while (ready := client.get("/readyz", headers={"X-API-Key": KEY})).json()[
                "status"] == "loading" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ready.status_code == 503, ready.text
        body = ready.json()
        assert body["status"] == "error"
        assert f"索引前缀 {prefix} 已被另一个数据目录使用" in body["detail"]
        hits = client.post("/v1/search", headers={"X-API-Key": KEY},
                           json={"text": "钠离子电池", "kind": KIND})
        assert hits.status_code != 200 and "a-0" not in hits.text


def test_homes_on_one_postgresql_store_share_the_index(tmp_path: Path, es_url: str,
                                                       prefix: str, pg_url: str) -> None:
    first = _settings(tmp_path / "node-1", es_url, prefix, store_url=pg_url)
    _built(first, _records("pg"))
    second = _settings(tmp_path / "node-2", es_url, prefix, store_url=pg_url)
    engine = Engine.open(second, encoder=FakeEncoder())
    try:
        assert _ids(engine) == {f"pg-{i}" for i in range(6)}
        engine.store.upsert(_records("more", 2))
        assert not [r for r in engine.sync((KIND,)) if r.full]  # synced, not refused
        assert {"more-0", "more-1"} <= _ids(engine)
    finally:
        engine.close()
