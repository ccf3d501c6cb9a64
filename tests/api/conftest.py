"""API fixtures: a tiny real-engine home, in-process clients and a live uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import LiveServer, build_home, wait_ready
from fastapi import FastAPI
from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.indexers.encoders import Encoder, build_encoder
from techmatch.matcher.engine import Engine


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return build_encoder("e5-small", threads=1)


@pytest.fixture()
def engine(tmp_path: Path, encoder: Encoder) -> Iterator[Engine]:
    eng = build_home(tmp_path / "home", encoder)
    yield eng
    eng.close()


@pytest.fixture()
def app(engine: Engine) -> FastAPI:
    return create_app(engine.settings, engine=engine)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        wait_ready(c)
        yield c


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Iterator[str]:
    eng = build_home(tmp_path_factory.mktemp("live") / "home", encoder)
    with LiveServer(create_app(eng.settings, engine=eng)) as server:
        yield server.url
    eng.close()
