"""Fixtures of the batch tests: one batched snapshot of the samples, copied per test."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_helpers import OPTIONS, FakeEngine, engine_from, sample_engine

from techmatch.matcher.batch import run_batch


@pytest.fixture(scope="session")
def batched_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples after one full batch run with OPTIONS (a store file to copy)."""
    home = tmp_path_factory.mktemp("batched")
    engine = sample_engine(home)
    run_batch(engine, OPTIONS)
    path = home / "snapshot.sqlite"
    target = sqlite3.connect(path)
    engine.store.db.backup(target)
    target.close()
    engine.close()
    return path


@pytest.fixture
def batched(batched_snapshot: Path, tmp_path: Path) -> Iterator[FakeEngine]:
    engine = engine_from(batched_snapshot, tmp_path / "home")
    yield engine
    engine.close()
