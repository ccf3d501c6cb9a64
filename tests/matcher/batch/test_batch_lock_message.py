"""`techmatch batch` while another run holds the lock said only, in English, 'another batch
run holds the batch lock of sqlite:///… (lock 'batch' is held by another process (pid …))';
operators read diagnostics in Chinese: it now says so in Chinese only, naming the holder's
pid, what to do and the store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from techmatch.errors import LockedError
from techmatch.matcher.batch.lock import LOCK_NAME, batch_lock
from techmatch.store import Store


def test_a_held_batch_lock_is_explained_in_chinese(tmp_path: Path) -> None:
    store, other = Store(tmp_path / "store.sqlite"), Store(tmp_path / "store.sqlite")
    try:
        with other.advisory_lock(LOCK_NAME):
            with pytest.raises(LockedError) as caught, batch_lock(store):
                pass
        message = str(caught.value)
        assert message.startswith("另一个批量匹配正在运行")
        assert f"进程 {os.getpid()}" in message and "请等它结束后再运行" in message
        assert message.endswith(f"（存储 {store.url}）")
        assert "is held by" not in message and "another batch" not in message  # no English
    finally:
        store.close()
        other.close()


class _HeldStore:
    """A store on a PostgreSQL URL with a password whose batch lock another node holds."""

    url = "postgresql://techmatch:s3cret-pw@db.example:5432/techmatch"

    def advisory_lock(self, name: str) -> object:
        raise LockedError(f"锁 {name} 正由本存储的另一个节点持有")


def test_the_lock_message_never_shows_the_store_password() -> None:
    with pytest.raises(LockedError) as caught, batch_lock(_HeldStore()):  # type: ignore[arg-type]
        pass
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert message.endswith("（存储 postgresql://techmatch:***@db.example:5432/techmatch）")
