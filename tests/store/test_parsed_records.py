"""`Store.parsed` on both stores: parsed records are reused while their change sequence holds,
reparsed after an update (by this or another connection), and dropped when deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.models import Achievement
from techmatch.store import Store

pytestmark = pytest.mark.xdist_group("postgresql")  # one PostgreSQL server; `store` and
# `target` (both databases) come from tests/store/conftest.py


def test_parsed_records_follow_every_write(store: Store, target: str | Path) -> None:
    store.upsert([Achievement(id="pr-a", title="陶瓷隔膜"), Achievement(id="pr-b", title="模具")])
    parsed = store.parsed
    first = parsed.get_many(["pr-b", "pr-a", "pr-none"])
    assert list(first) == ["pr-b", "pr-a"] and first["pr-a"].title == "陶瓷隔膜"
    count = parsed.parsed
    again = parsed.get_many(["pr-a", "pr-b"])
    assert parsed.parsed == count and again["pr-a"] is first["pr-a"]  # reused, not reparsed
    other = Store(target)  # another process's connection writes
    try:
        other.upsert([Achievement(id="pr-a", title="陶瓷隔膜（改）")])
    finally:
        other.close()
    assert parsed.get_many(["pr-a"])["pr-a"].title == "陶瓷隔膜（改）"
    assert parsed.parsed == count + 1
    store.delete("pr-b")
    assert parsed.get_many(["pr-a", "pr-b"]).keys() == {"pr-a"}
