"""Run by test_docking_kill: move many dockings through their stages until killed.

After `fast` moves at full speed it paces itself (a short sleep between moves, still moving):
on a loaded machine the test's watcher could otherwise be starved long enough for the worker
to finish every move before the kill (seen once: return code 0 instead of -9)."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from techmatch.matcher.dockings import Move, move_docking
from techmatch.models.dockings import Contract
from techmatch.store import Store
from techmatch.store.dockings import DockingRepo

STEPS = ("contacted", "confirmed", "negotiating", "signed", "completed")


PACE = 0.005  # seconds between moves after the first `fast`


def main(path: str, ready: str, fast: int) -> None:
    store = Store(Path(path))
    ids = sorted(d.id for d in DockingRepo(store).all())
    Path(ready).write_text("go", encoding="utf-8")
    contract = Contract(contract_type="service", value_wan=8.0, signed_on=dt.date(2026, 11, 1))
    moves = 0
    for _ in range(1000):
        for did in ids:
            d = DockingRepo(store).get(did)
            if d.stage == "completed":
                continue
            step = STEPS[STEPS.index(d.stage) + 1] if d.stage in STEPS else "contacted"
            move_docking(store, did, Move(to=step, version=d.version,
                                          contract=contract if step == "signed" else None))
            moves += 1
            if moves >= fast:
                time.sleep(PACE)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
