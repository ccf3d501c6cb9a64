"""Store (SQLite file): a second connection sees committed rows.

Upsert / delete / get / list, the change sequence, no-op re-upserts and atomic batches are
covered on SQLite and PostgreSQL by the store contract suite (test_store_contract.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.models import Need
from techmatch.store import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite")


def test_second_connection_sees_committed_rows(store: Store, tmp_path: Path) -> None:
    store.upsert([Need(id="n1", title="a")])
    other = Store(tmp_path / "store.sqlite")
    assert other.get("n1").title == "a"
