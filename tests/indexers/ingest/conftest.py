"""Fixtures for ingestion tests: a fresh store per test and the path of ../shared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.store import Store

SHARED = Path(__file__).resolve().parents[3].parent / "shared"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    handle = Store(tmp_path / "store" / "store.db")
    yield handle
    handle.close()


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED
