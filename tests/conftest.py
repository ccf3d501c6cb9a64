"""Session-wide test settings: one OpenMP thread, offline models, a shared vector cache.

The vector cache is content-addressed, so sharing it between tests (and xdist workers) only
saves re-encoding the same sample texts; it never changes a result.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SHARED = ROOT.parent / "shared"

# real services started by the tests themselves (tests/services/)
pytest_plugins = ["services.es_fixtures", "services.pg_fixtures"]

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TECHMATCH_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TECHMATCH_CACHE_DIR", str(ROOT / ".pytest_cache" / "vectors"))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not present beside the project")
    return SHARED
