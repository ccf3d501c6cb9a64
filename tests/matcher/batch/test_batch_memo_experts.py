"""With its candidate memo (techmatch.matcher.memo) the batch stores, for expert targets too,
exactly what matching each need alone returns (issue 19: the memo, the query tokens and the
chunk-wide record read apply to every target kind; the column-wise table to achievements)."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_helpers import sample_engine

from techmatch.matcher.batch import BatchOptions, results, run_batch
from techmatch.matcher.batch.plan import is_open
from techmatch.matcher.service import MatchService
from techmatch.models.records import Need


@pytest.mark.slow
def test_batch_expert_results_equal_matching_each_need_alone(tmp_path: Path) -> None:
    engine = sample_engine(tmp_path)
    service = MatchService(engine)
    run_batch(engine, BatchOptions(kinds=("expert",), k=5, chunk=8, workers=1),
              service=service)
    assert service.memo is None  # set only while the batch matches
    stored = results.topk(engine.store, "expert")
    needs = [n for n in engine.store.iter_records("need") if isinstance(n, Need) and is_open(n)]
    compared = 0
    for need in needs:
        alone = MatchService(engine).match_need(need, target="expert", k=5, explain=False)
        got = stored.get(need.id, [])
        assert [c for c, _ in got] == [h.id for h in alone.hits], need.id
        assert [conf for _, conf in got] == pytest.approx(
            [h.confidence for h in alone.hits], abs=1e-6)  # the recency feature reads the clock
        compared += bool(alone.hits)
    assert compared > len(needs) // 2
    engine.close()
