"""A store on each database: `target` is a SQLite path or a fresh PostgreSQL database's URL.

Modules using them join the `postgresql` xdist group themselves (`pytestmark`): `pg_url` is
requested through `getfixturevalue`, which the group marking in tests/services cannot see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    if request.param == "sqlite":
        return tmp_path / "store.sqlite"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture()
def store(target: str | Path) -> Iterator[Store]:
    handle = Store(target)
    yield handle
    handle.close()
