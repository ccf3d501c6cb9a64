"""The cyclic garbage collector paused while a batch matches its chunks.

CPython runs a full collection (every tracked object not frozen) whenever enough objects
have survived the younger ones. Matching a chunk keeps its retrieval lists, hits, feature
tables and records alive until the chunk is done, so full collections ran again and again
while a chunk was matched, each walking all of that — and, before anything was frozen, every
preloaded candidate record and token set (in a forked worker that also writes to every page
it shares with the parent). Measured on 100,000 achievements (issue 19, nice 15, load 4-7,
one run each): 2,100 needs in process spent 16 of 120 s in 13 full collections (freezing
alone still left 22 of them); 10,000 needs with 2 workers took 185 CPU s before the pause,
154 with it.

`paused()`: one full collection, then everything alive moves to the permanent generation
(`gc.freeze`: never walked again, pages stay shared after a fork) and the automatic
collector is off — also while the candidates are preloaded (100,000 parsed records and token
sets: the collector walked the growing heap again and again). `settle()` once they are
loaded, before forking: one collection and freeze again. `after_chunk()`, once per matched
chunk (in a worker too: it inherits the paused state): a young collection frees the chunk's
own reference cycles, if any (its objects were freed by reference counting already), and
every FULL_EVERY chunks a full one frees cycles that lived longer. Leaving `paused`
unfreezes (unless the process had frozen objects before: `gc.unfreeze` cannot tell its own
apart) and restores the collector as it was. The results do not change: the collector
only ever frees unreachable objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FULL_EVERY = 16  # chunks between full collections while paused

_chunks = [0]  # chunks matched in this process since the pause began


@contextmanager
def paused() -> Iterator[None]:
    """Collector off and the heap frozen for the block (restored afterwards)."""
    was_enabled = gc.isenabled()
    was_frozen = gc.get_freeze_count() > 0  # the host froze its own heap: leave it frozen
    gc.collect()
    gc.freeze()
    gc.disable()
    _chunks[0] = 0
    try:
        yield
    finally:
        if not was_frozen:
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def settle() -> None:
    """Freeze what was built since the pause began (the preloaded candidates)."""
    if gc.isenabled():
        return
    gc.collect()
    gc.freeze()


def after_chunk() -> None:
    """The collection a chunk owes when the collector is paused (else nothing to do)."""
    if gc.isenabled():
        return
    _chunks[0] += 1
    gc.collect(2 if _chunks[0] % FULL_EVERY == 0 else 1)
