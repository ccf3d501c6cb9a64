"""A serving node started while its PostgreSQL server is still down (a reboot where techmatch
comes up first) becomes ready by itself once the server is back, instead of staying
not-ready until someone restarts it (helper-51 operations audit)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from services.pg_server import PgServer, start_server

from techmatch.api.security import KeyRing
from techmatch.api.state import AppState
from techmatch.config import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgresql")]


@pytest.fixture()
def own_server() -> Iterator[PgServer]:
    """A server of this test's own, so stopping it disturbs no other test."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


def _wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_node_started_during_outage_becomes_ready(own_server: PgServer, tmp_path: Path) -> None:
    url = own_server.create_database()
    own_server.stop_server()
    settings = Settings(home=tmp_path / "home", store_url=url, follow_interval_seconds=1)
    state = AppState(settings=settings, keyring=KeyRing.parse(""), anonymous=True)
    loader = threading.Thread(target=state.load, daemon=True)
    loader.start()
    try:
        assert _wait_for(lambda: state.phase == "error", 60), state.phase
        assert "存储数据库不可用" in state.readiness()[1]
        own_server.start_server()
        assert _wait_for(lambda: state.phase == "ready", 120), state.error
        assert state.readiness()[0] is True
    finally:
        state.stop_loading()
        loader.join(timeout=60)
        state.close()
    assert not loader.is_alive()
