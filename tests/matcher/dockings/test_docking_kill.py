"""A process killed (SIGKILL) in the middle of moves leaves stage and history consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from techmatch.matcher.dockings import NewDocking, create_docking
from techmatch.models.dockings import STAGES
from techmatch.models.records import Achievement, Need
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

WORKER = Path(__file__).with_name("kill_worker.py")
COUNT = 400


def _moves(store: Store) -> int:
    """Moves made so far (every docking starts at version 1)."""
    return sum(d.version - 1 for d in DockingRepo(store).all())


def _consistent(store: Store) -> tuple[int, int]:
    """Assert every docking's row agrees with its history; (moves made, signed dockings)."""
    repo = DockingRepo(store)
    moves = signed = 0
    for d in repo.all():
        history = repo.history(d.id)
        assert [h.version for h in history] == list(range(1, d.version + 1)), d.id
        assert history[-1].to_stage == d.stage and history[-1].at == d.stage_at, d.id
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_stage == before.to_stage
            assert STAGES.index(after.to_stage) == STAGES.index(before.to_stage) + 1
        moves += len(history) - 1
        if d.stage in ("signed", "completed"):
            signed += 1
            assert d.contract is not None
            status = store.get(d.need_id).status
            assert status == ("closed" if d.stage == "completed" else "matched"), d.id
    return moves, signed


def test_sigkill_mid_moves_leaves_stage_and_history_consistent(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = Store(path)
    store.upsert([*(Need(id=f"N{i:03d}", title=f"需求{i}") for i in range(COUNT)),
                  *(Achievement(id=f"A{i:03d}", title=f"成果{i}") for i in range(COUNT))])
    for i in range(COUNT):
        create_docking(store, NewDocking(f"N{i:03d}", f"A{i:03d}"))
    store.close()
    ready = tmp_path / "ready"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    kills, progress = [], [0]
    for step in (20, 60, 120):
        proc = subprocess.Popen([sys.executable, str(WORKER), str(path), str(ready),
                                 str(step)], env=env)
        deadline = time.monotonic() + 120
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        # Kill once the worker has made `step` more moves (by progress, not by time, so a
        # fast or a loaded machine both kill it in the middle).
        watch = Store(path)
        while _moves(watch) < progress[-1] + step and time.monotonic() < deadline:
            time.sleep(0.005)
        watch.close()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        ready.unlink(missing_ok=True)
        kills.append(proc.returncode)
        check = Store(path)
        progress.append(_consistent(check)[0])
        check.close()
    assert kills == [-signal.SIGKILL] * 3
    # Each run moved some dockings and was killed before moving them all.
    assert progress == sorted(set(progress)) and progress[-1] < COUNT * 5, progress
