"""`Store.lock_held(name)`: whether a live process holds an advisory lock, asked without
taking it (a reader probing by taking the lock would make a batch starting at that moment
fail with exit 6). A holder killed with SIGKILL holds nothing: the kernel / server released
its lock. Run on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from techmatch.store import Store

pytestmark = pytest.mark.xdist_group("postgresql")  # `store` / `target`: tests/store/conftest.py

HOLDER = """
import sys, time
from techmatch.store import Store
store = Store(sys.argv[1])
with store.advisory_lock("batch"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_lock_held_follows_the_holder_without_taking_the_lock(store: Store,
                                                              target: str | Path) -> None:
    other = Store(target)
    try:
        assert not store.lock_held("batch")
        with other.advisory_lock("batch"):
            assert store.lock_held("batch")
            assert not store.lock_held("index")
        assert not store.lock_held("batch")
        with store.advisory_lock("batch"):  # asking never took it
            pass
    finally:
        other.close()


def test_a_holder_killed_with_sigkill_holds_nothing(store: Store, target: str | Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(target)], env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        assert store.lock_held("batch")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 30  # PostgreSQL notices the closed socket by itself
    while store.lock_held("batch") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not store.lock_held("batch")
