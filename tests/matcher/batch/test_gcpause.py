"""The collector pause of a batch run: cycles are still freed, the state is restored."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from batch_helpers import OPTIONS, sample_engine

from techmatch.matcher.batch import gcpause, run_batch


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_paused_freezes_disables_and_restores() -> None:
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_paused_restores_a_disabled_collector() -> None:
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_after_chunk_frees_a_chunks_cycles_while_paused() -> None:
    with gcpause.paused():
        node = _Node()
        ref = weakref.ref(node)
        del node
        assert ref() is not None  # collector off: nothing frees the cycle by itself
        gcpause.after_chunk()
        assert ref() is None


def test_after_chunk_is_a_no_op_when_the_collector_runs() -> None:
    frozen = gc.get_freeze_count()
    gcpause.after_chunk()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_a_batch_run_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    engine = sample_engine(tmp_path / "home")
    summary = run_batch(engine, OPTIONS)
    assert summary.recomputed > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_settle_freezes_what_was_built_while_paused() -> None:
    with gcpause.paused():
        before = gc.get_freeze_count()
        built = [[i] for i in range(1000)]  # tracked containers, alive
        gcpause.settle()
        assert gc.get_freeze_count() >= before + len(built)
        assert not gc.isenabled()
    assert gc.get_freeze_count() == 0
    frozen = gc.get_freeze_count()
    gcpause.settle()  # collector running: nothing to do
    assert gc.get_freeze_count() == frozen == 0


def test_paused_leaves_a_heap_the_process_froze_frozen() -> None:
    keep = [[i] for i in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gcpause.paused():
            pass
        assert gc.get_freeze_count() >= frozen > 0 and len(keep) == 100
        assert gc.isenabled()
    finally:
        gc.unfreeze()
