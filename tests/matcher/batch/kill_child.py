"""Child process of the SIGKILL test: a batch run that stalls for good after its third chunk.

Usage: python kill_child.py HOME — HOME already holds the samples (the parent loaded them).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from batch_helpers import make_engine  # noqa: E402
from test_batch_kill import KILL_OPTIONS, STALL_AFTER  # noqa: E402

from techmatch.matcher.batch import run_batch  # noqa: E402

done = [0]


def stall(kind: str, ids: Sequence[str]) -> None:
    done[0] += 1
    if done[0] == STALL_AFTER:
        time.sleep(600)  # the parent kills us here, after the chunk was committed


if __name__ == "__main__":
    run_batch(make_engine(Path(sys.argv[1])), KILL_OPTIONS, on_chunk=stall)
