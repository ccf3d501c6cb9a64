"""Fixtures shared by the batch and analytics tests: the samples after one batch run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "batch"))  # batch_helpers

from batch_helpers import FakeEngine, batched_snapshot_file, engine_from  # noqa: E402


@pytest.fixture(scope="session")
def batched_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples after one full batch run with OPTIONS (a store file to copy)."""
    return batched_snapshot_file(tmp_path_factory.mktemp("batched"))


@pytest.fixture
def batched(batched_snapshot: Path, tmp_path: Path) -> Iterator[FakeEngine]:
    engine = engine_from(batched_snapshot, tmp_path / "home")
    yield engine
    engine.close()
