"""Fixtures of the analytics tests: the samples after one batch run (fake engine)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "batch"))  # batch_helpers

from batch_helpers import FakeEngine, batched_snapshot_file, engine_from  # noqa: E402


@pytest.fixture(scope="session")
def stats_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return batched_snapshot_file(tmp_path_factory.mktemp("stats"))


@pytest.fixture
def stats_engine(stats_snapshot: Path, tmp_path: Path) -> Iterator[FakeEngine]:
    engine = engine_from(stats_snapshot, tmp_path / "home")
    yield engine
    engine.close()
