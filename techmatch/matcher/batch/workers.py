"""Chunks of a batch run matched in forked worker processes, committed by the parent in order.

The parent opens the engine, plans, warms what every worker reads (indexes, retriever and
cross-lingual dictionary, ranker model, the chunks' cached query vectors), then forks
`workers` processes: memory is shared copy-on-write, nothing is loaded twice. Each worker
first opens its own store connection and cache files (`MatchService.after_fork`: an
inherited SQLite or PostgreSQL connection is never used in a child) and then matches the
chunks it is handed, reading only. The parent receives the chunks' rankings in plan order
(`Pool.imap`) and commits each with its checkpoint in one transaction, exactly as the serial
path does, so a killed run resumes after the last committed chunk and the stored results
are the serial path's. A worker dies with its parent (Linux `PR_SET_PDEATHSIG`) and lets go
of the inherited batch-lock descriptor at start: a killed run leaves no worker holding the
lock. Indexes that are not `fork_safe` (Elasticsearch's HTTP clients) run in process.

Forking is POSIX-only; `workers` ≤ 1, a single chunk, or a platform without `fork` runs the
chunks in the process itself.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
Task = tuple[str, list[str]]  # (target kind, need ids of one chunk)

# The compute function the forked workers inherit, set by the parent right before it forks.
_COMPUTE: list[Callable[[str, list[str]], object]] = []
_AFTER_FORK: list[Callable[[], None]] = []
_PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def effective_workers(workers: int, chunks: int) -> int:
    """Worker processes actually started: `workers` (0 = one per CPU), at most one per chunk,
    none (1: in process) without `fork`."""
    wanted = default_workers() if workers == 0 else workers
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(wanted, chunks))


@contextmanager
def chunk_results(compute: Callable[[str, list[str]], T], tasks: Sequence[Task], *,
                  workers: int, after_fork: Callable[[], None]) -> Iterator[Iterator[T]]:
    """Yield `compute(kind, ids)` for each task, in task order: in this process when one
    worker suffices, else from `workers` forked processes (`after_fork` runs first in each).
    Leaving the block stops the workers (also on an error or an interrupt)."""
    n = effective_workers(workers, len(tasks))
    if n <= 1:
        yield (compute(kind, ids) for kind, ids in tasks)
        return
    _COMPUTE[:] = [compute]
    _AFTER_FORK[:] = [after_fork]
    try:
        with multiprocessing.get_context("fork").Pool(n, initializer=_init,
                                                      initargs=(os.getpid(),)) as pool:
            yield pool.imap(_run, tasks)  # type: ignore[arg-type]  # _run returns compute's T
    finally:
        _COMPUTE.clear()
        _AFTER_FORK.clear()


def _init(parent: int) -> None:
    _die_with(parent)
    _drop_lock_files()
    torch = sys.modules.get("torch")
    if torch is not None:  # explanations encode here: one thread (no OpenMP team after fork)
        torch.set_num_threads(1)
    _AFTER_FORK[0]()


def _drop_lock_files() -> None:
    """Point inherited descriptors of `*.lock` files (the parent's `flock`s: the batch lock)
    at /dev/null: a worker outliving a killed parent by a few milliseconds must not keep the
    lock taken. The parent's locks stay held through its own descriptors."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for entry in list(fds.iterdir()):
            try:
                target = os.readlink(entry)
            except OSError:
                continue
            if target.endswith(".lock") and int(entry.name) != null:
                os.dup2(null, int(entry.name))
    finally:
        os.close(null)


def _die_with(parent: int) -> None:
    """Ask the kernel to kill this worker when its parent dies (Linux; elsewhere a no-op)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _run(task: Task) -> object:
    kind, ids = task
    return _COMPUTE[0](kind, ids)
