"""Fixtures of the evaluation tests: the tiny Chinese BEIR set, a shared e5 encoder and cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import Encoder, build_encoder
from techmatch.indexers.vector_cache import CachedEncoder

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "tiny-zh"


@pytest.fixture(scope="session")
def tiny_dataset() -> Path:
    return TINY


@pytest.fixture(scope="session")
def raw_encoder() -> Encoder:
    return build_encoder("e5-small", threads=1)


@pytest.fixture(scope="session")
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One vector cache for the session: later workspaces encode nothing again."""
    return tmp_path_factory.mktemp("vector-cache")


@pytest.fixture
def encoder(raw_encoder: Encoder, vector_cache: Path) -> Iterator[CachedEncoder]:
    """A cached encoder per test (the engine closes it); the model itself is shared."""
    cached = CachedEncoder(raw_encoder, vector_cache)
    yield cached
    cached.close()


@pytest.fixture
def eval_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", threads=1)
