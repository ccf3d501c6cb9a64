"""Helpers of the batch tests: sample homes on the fake engine."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/matcher: fakes

from fakes import FakeEngine, make_engine  # noqa: E402

from techmatch.cli.demo import load_samples  # noqa: E402
from techmatch.matcher.batch import BatchOptions  # noqa: E402
from techmatch.matcher.engine import STORE_FILE  # noqa: E402

OPTIONS = BatchOptions(kinds=("achievement",), k=5, chunk=8)
OPEN_SAMPLE_NEEDS = 43

__all__ = ["OPEN_SAMPLE_NEEDS", "OPTIONS", "FakeEngine", "batched_snapshot_file", "engine_from",
           "make_engine", "sample_engine"]


def sample_engine(home: Path) -> FakeEngine:
    """A fake engine over data/samples (store filled, indexes synced)."""
    engine = make_engine(home)
    load_samples(engine)
    engine.sync()
    return engine


def batched_snapshot_file(home: Path) -> Path:
    """Load the samples into `home`, run one batch with OPTIONS, and back the store up to a
    snapshot file tests can copy (cheaper than re-running the batch per test)."""
    from techmatch.matcher.batch import run_batch

    engine = sample_engine(home)
    run_batch(engine, OPTIONS)
    path = home / "snapshot.sqlite"
    engine.store._db.backup(path)  # type: ignore[attr-defined]  # SQLite's online backup
    engine.close()
    return path


def engine_from(snapshot: Path, home: Path) -> FakeEngine:
    """A fake engine whose store is a copy of `snapshot`."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(snapshot, home / STORE_FILE)
    return make_engine(home)
