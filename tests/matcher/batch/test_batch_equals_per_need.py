"""The batch stores, for every open need, exactly what matching that need alone returns."""

from __future__ import annotations

import pytest
from batch_helpers import OPEN_SAMPLE_NEEDS, OPTIONS, FakeEngine

from techmatch.matcher.batch import results
from techmatch.matcher.batch.plan import is_open
from techmatch.matcher.service import MatchService
from techmatch.models.records import Need


def test_batch_results_equal_matching_each_need_alone(batched: FakeEngine) -> None:
    stored = results.topk(batched.store, "achievement")
    service = MatchService(batched)
    needs = [n for n in batched.store.iter_records("need") if isinstance(n, Need) and is_open(n)]
    assert len(needs) == OPEN_SAMPLE_NEEDS
    compared = 0
    for need in needs:
        alone = service.match_need(need, target="achievement", k=OPTIONS.k, explain=False)
        expected = [(h.id, h.confidence) for h in alone.hits]
        got = stored.get(need.id, [])
        assert [c for c, _ in got] == [c for c, _ in expected], need.id
        assert [conf for _, conf in got] == pytest.approx([c for _, c in expected], abs=1e-6)
        compared += bool(expected)
    assert compared > OPEN_SAMPLE_NEEDS // 2  # most needs have hits: the comparison is real
