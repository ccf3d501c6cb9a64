"""A batch stores confidences of the models in use: when the shipped abstention model (or
the default weights a home without a trained model ranks with) changes — a techmatch
upgrade — the next incremental run recomputes every open need."""

from __future__ import annotations

import pytest
from batch_helpers import OPEN_SAMPLE_NEEDS, OPTIONS, FakeEngine

from techmatch.matcher import abstain
from techmatch.matcher.batch import results, run_batch
from techmatch.matcher.service import MatchService


def test_a_new_shipped_abstention_model_recomputes_every_need(
        batched: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = abstain.default_abstain("achievement")
    assert shipped is not None and not MatchService(batched).model.abstention  # the fallback
    upgraded = {**abstain._defaults(), "achievement": shipped.model_copy(
        update={"intercept": shipped.intercept - 1.0})}
    monkeypatch.setattr(abstain, "_defaults", lambda: upgraded)
    summary = run_batch(batched, OPTIONS)
    assert summary.recomputed == OPEN_SAMPLE_NEEDS, summary.counts
    service = MatchService(batched)
    stored = results.topk(batched.store, "achievement")
    need_id = sorted(stored)[0]
    alone = service.match_need(need_id, target="achievement", k=OPTIONS.k, explain=False)
    assert [c for _, c in stored[need_id]] == pytest.approx(
        [h.confidence for h in alone.hits], abs=1e-6)
