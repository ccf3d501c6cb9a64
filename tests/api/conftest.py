"""API fixtures: a tiny real-engine home, in-process clients and a live uvicorn server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import LiveServer, build_home, close_engine, open_copy, wait_ready
from fastapi import FastAPI
from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.indexers.encoders import Encoder, build_encoder
from techmatch.indexers.tokenize import Tokenizer
from techmatch.indexers.vector_cache import CachedEncoder
from techmatch.matcher.engine import Engine


@pytest.fixture(scope="session")
def encoder() -> Iterator[Encoder]:
    """e5-small behind the suite's shared content-addressed vector cache (tests/conftest.py)."""
    cache = Path(os.environ.get("TECHMATCH_CACHE_DIR", "") or ".pytest_cache/vectors")
    cached = CachedEncoder(build_encoder("e5-small", threads=1), cache)
    yield cached
    cached.close()


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory,
                  encoder: Encoder) -> tuple[Path, Tokenizer]:
    """The tiny corpus built once; tests get copies (building costs ~4 s)."""
    eng = build_home(tmp_path_factory.mktemp("template") / "home", encoder)
    eng.store.close()
    return eng.settings.home, eng.tokenizer


@pytest.fixture()
def engine(tmp_path: Path, encoder: Encoder,
           template_home: tuple[Path, Tokenizer]) -> Iterator[Engine]:
    eng = open_copy(template_home[0], tmp_path / "home", encoder, template_home[1])
    yield eng
    close_engine(eng)


@pytest.fixture()
def app(engine: Engine) -> FastAPI:
    return create_app(engine.settings, engine=engine)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        wait_ready(c)
        yield c


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder,
                template_home: tuple[Path, Tokenizer]) -> Iterator[str]:
    eng = open_copy(template_home[0], tmp_path_factory.mktemp("live") / "home", encoder,
                    template_home[1])
    with LiveServer(create_app(eng.settings, engine=eng)) as server:
        yield server.url
    close_engine(eng)
