"""Fixtures of the analytics tests: the samples after one batch run (fake engine)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "batch"))  # batch_helpers

from batch_helpers import OPTIONS, FakeEngine, engine_from, sample_engine  # noqa: E402

from techmatch.matcher.batch import run_batch  # noqa: E402


@pytest.fixture(scope="session")
def stats_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("stats")
    engine = sample_engine(home)
    run_batch(engine, OPTIONS)
    path = home / "snapshot.sqlite"
    target = sqlite3.connect(path)
    engine.store.db.backup(target)
    target.close()
    engine.close()
    return path


@pytest.fixture
def stats_engine(stats_snapshot: Path, tmp_path: Path) -> Iterator[FakeEngine]:
    engine = engine_from(stats_snapshot, tmp_path / "home")
    yield engine
    engine.close()
