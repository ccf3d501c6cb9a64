"""The real-encoder samples home shared by the slow matcher tests (abstain, plans, programme)."""

from __future__ import annotations

import os
from pathlib import Path

from techmatch.cli.demo import load_samples
from techmatch.config import Settings
from techmatch.matcher.engine import Engine


def samples_engine(home: Path) -> Engine:
    """An engine on a new `home` holding data/samples, synced; the caller closes it.

    Index builds cache vectors in `<home>/cache` only, so that folder is linked to the
    suite's shared, content-addressed cache: warm runs skip encoding, results are the same.
    """
    cache = Path(os.environ.get("TECHMATCH_CACHE_DIR", "") or ".pytest_cache/vectors")
    cache.mkdir(parents=True, exist_ok=True)
    home.mkdir()
    (home / "cache").symlink_to(cache.resolve(), target_is_directory=True)
    eng = Engine.open(Settings(home=home, threads=1))
    load_samples(eng)
    eng.sync()
    return eng
