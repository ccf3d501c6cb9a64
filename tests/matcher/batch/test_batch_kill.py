"""A batch run killed with SIGKILL after a committed chunk resumes to identical results."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_helpers import OPEN_SAMPLE_NEEDS, sample_engine

from techmatch.matcher.batch import BatchOptions, checkpoint, results, run_batch
from techmatch.store import Store

KILL_OPTIONS = BatchOptions(kinds=("achievement",), k=5, chunk=4)
STALL_AFTER = 3
CHILD = Path(__file__).with_name("kill_child.py")


def _pairs(store: Store) -> tuple[list[tuple[str, str, int, str]], list[float]]:
    """(need, kind, rank, candidate) of every stored pair, and their scores + confidences."""
    hits = list(results.iter_hits(store))
    keys = [(h.need_id, h.kind, h.rank, h.candidate_id) for h in hits]
    values = [v for h in hits for v in (h.score, h.confidence or 0.0)]
    return keys, values


def _wait_for_chunks(store: Store, proc: subprocess.Popen[bytes], n: int) -> str:
    """Block until the child committed `n` chunks (a marker in the DB, not a sleep)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        progress = store.plans.checkpoints().get("achievement")
        if progress is not None and progress.chunks >= n:
            return max(r.run_id for r in results.runs(store, limit=5))
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"child exited before stalling: {err}")
        time.sleep(0.05)
    pytest.fail("child never committed its chunks")


@pytest.mark.slow
def test_sigkill_then_rerun_gives_the_uninterrupted_results(tmp_path: Path) -> None:
    reference = sample_engine(tmp_path / "reference")
    run_batch(reference, KILL_OPTIONS)
    expected_keys, expected_values = _pairs(reference.store)
    reference.close()

    engine = sample_engine(tmp_path / "killed")
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen([sys.executable, str(CHILD), str(engine.settings.home)],
                            stderr=subprocess.PIPE, env=env)
    try:
        run_id = _wait_for_chunks(engine.store, proc, STALL_AFTER)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    killed = results.get_run(engine.store, run_id)
    assert killed is not None and killed.status == "running"
    progress = checkpoint.checkpoints(engine.store, run_id)["achievement"]
    assert progress.done == STALL_AFTER * KILL_OPTIONS.chunk < progress.total

    summary = run_batch(engine, KILL_OPTIONS)
    assert summary.resumed and summary.run_id == run_id
    assert summary.recomputed == OPEN_SAMPLE_NEEDS
    final = checkpoint.checkpoints(engine.store, run_id)["achievement"]
    assert (final.done, final.chunks) == (OPEN_SAMPLE_NEEDS,
                                          math.ceil(OPEN_SAMPLE_NEEDS / KILL_OPTIONS.chunk))
    keys, values = _pairs(engine.store)
    assert keys == expected_keys
    # scores agree to float noise (the recency feature reads the clock)
    assert values == pytest.approx(expected_values, abs=1e-6)
    engine.close()
