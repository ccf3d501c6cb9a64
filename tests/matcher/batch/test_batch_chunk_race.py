"""A batch chunk computed before a staff action must not overwrite the rows that action's
live refresh stored (batch/live.refresh_needs) when the chunk commits after it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from batch_helpers import OPTIONS, FakeEngine

from techmatch.matcher.batch import results, run_batch
from techmatch.matcher.batch import run as batch_run
from techmatch.matcher.batch.live import refresh_needs
from techmatch.matcher.feedback import record_feedback
from techmatch.matcher.service import MatchService


def _stored(engine: FakeEngine, need: str) -> list[str]:
    return [c for c, _ in results.topk(engine.store, "achievement").get(need, [])]


def test_a_chunk_computed_before_a_rejection_keeps_the_refreshed_rows(
        batched: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    need = "N020"
    before = _stored(batched, need)
    assert len(before) >= 2
    top = before[0]
    service = MatchService(batched)
    computed = batch_run._Job._rows
    raced: list[str] = []

    def rows_then_staff(job: batch_run._Job, kind: str, need_ids: list[str]
                        ) -> list[results.NeedResult]:
        rows = computed(job, kind, need_ids)  # the chunk read the need's inputs ...
        if need in need_ids and not raced:  # ... then staff reject its best candidate
            record_feedback(batched.store, need, top, label="rejected", reason="not_relevant")
            raced.extend(refresh_needs(service, [need]).rematched)
        return rows  # ... and the chunk commits after the refresh

    monkeypatch.setattr(batch_run._Job, "_rows", rows_then_staff)
    run_batch(batched, replace(OPTIONS, full=True, workers=1), service=service)
    assert raced == [need]
    alone = service.match_need(batched.store.get(need, "need"), target="achievement",
                               k=OPTIONS.k, explain=False)
    stored = _stored(batched, need)
    assert top not in stored
    assert stored == [h.id for h in alone.hits]
    # the other needs of the run are stored as the run computed them
    assert len(results.topk(batched.store, "achievement")) > 10
