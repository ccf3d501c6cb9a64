"""Chunks matched in worker processes store exactly what the in-process (serial) run stores."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from batch_helpers import OPEN_SAMPLE_NEEDS, sample_engine

from techmatch.errors import ValidationError
from techmatch.matcher.batch import BatchOptions, checkpoint, results, run_batch
from techmatch.matcher.batch.workers import effective_workers
from techmatch.matcher.service import MatchService
from techmatch.store import Store

SERIAL = BatchOptions(kinds=("achievement",), k=5, chunk=4, workers=1)


def _stored(store: Store) -> tuple[list[tuple[str, str, int, str]], list[float], list[bool]]:
    hits = list(results.iter_hits(store))
    keys = [(h.need_id, h.kind, h.rank, h.candidate_id) for h in hits]
    values = [v for h in hits for v in (h.score, h.confidence or 0.0)]
    state = results.state(store, "achievement")
    return keys, values, [state[n][0] != "" for n in sorted(state)]


@pytest.mark.slow
def test_two_workers_store_what_the_serial_run_stores(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = sample_engine(tmp_path / "serial")
    summary = run_batch(serial, SERIAL)
    expected = _stored(serial.store)
    fingerprints = {n: s[0] for n, s in results.state(serial.store, "achievement").items()}
    serial.close()

    pids = tmp_path / "pids"
    match_many = MatchService.match_many

    def recorded(self: MatchService, needs, **kw):  # type: ignore[no-untyped-def]
        with open(pids, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        return match_many(self, needs, **kw)

    monkeypatch.setattr(MatchService, "match_many", recorded)  # inherited by the fork
    engine = sample_engine(tmp_path / "parallel")
    parallel = run_batch(engine, replace(SERIAL, workers=2))
    workers = set(pids.read_text().split()) - {str(os.getpid())}
    assert len(workers) >= 1  # chunks really were matched in other processes

    assert parallel.recomputed == summary.recomputed == OPEN_SAMPLE_NEEDS
    keys, values, _ = _stored(engine.store)
    assert keys == expected[0] and len(keys) > OPEN_SAMPLE_NEEDS  # same pairs, same order
    assert values == pytest.approx(expected[1], abs=1e-6)  # the recency feature reads the clock
    assert {n: s[0] for n, s in results.state(engine.store, "achievement").items()} \
        == fingerprints
    done = checkpoint.checkpoints(engine.store, parallel.run_id)["achievement"]
    assert (done.done, done.chunks) == (OPEN_SAMPLE_NEEDS, -(-OPEN_SAMPLE_NEEDS // SERIAL.chunk))
    assert run_batch(engine, replace(SERIAL, workers=2)).recomputed == 0  # nothing changed
    engine.close()


def test_worker_count_is_checked_and_capped() -> None:
    with pytest.raises(ValidationError) as err:
        BatchOptions(workers=-1)
    assert err.value.field == "workers"
    assert effective_workers(4, 1) == 1  # one chunk: matched in process
    assert effective_workers(2, 10) == 2
    assert effective_workers(1, 10) == 1
    assert effective_workers(0, 10) == min(len(os.sched_getaffinity(0)), 10)
