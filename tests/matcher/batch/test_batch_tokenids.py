"""On the samples, the batch — its feature table's overlaps counted from token ids, its phrase
search joined (techmatch.matcher.tokenids, tablecols) — stores exactly the ranked ids, scores
and confidences that matching each need alone returns (issue 19)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from batch_helpers import sample_engine

import techmatch.matcher.features as features
import techmatch.matcher.tablecols as tablecols
from techmatch.matcher.batch import BatchOptions, results, run_batch
from techmatch.matcher.batch.plan import is_open
from techmatch.matcher.service import MatchService
from techmatch.matcher.tokenids import TokenIds
from techmatch.models.records import Need

FIXED = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return FIXED  # `recency` reads the clock: both sides see one instant


@pytest.mark.slow
def test_batch_with_token_id_overlaps_equals_each_need_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "datetime", _FixedClock)
    monkeypatch.setattr(tablecols, "datetime", _FixedClock)
    counted: list[int] = []
    overlaps = TokenIds.overlaps

    def spy(self: TokenIds, rows, groups):  # type: ignore[no-untyped-def]
        counted.append(len(rows))
        return overlaps(self, rows, groups)

    monkeypatch.setattr(TokenIds, "overlaps", spy)
    engine = sample_engine(tmp_path)
    run_batch(engine, BatchOptions(kinds=("achievement",), k=10, chunk=8, workers=1,
                                   explain=False), service=MatchService(engine))
    assert sum(counted) > 0  # the batch's table counted its overlaps from token ids
    stored: dict[str, list[results.StoredHit]] = {}
    for hit in results.iter_hits(engine.store, ["achievement"]):
        stored.setdefault(hit.need_id, []).append(hit)
    needs = [n for n in engine.store.iter_records("need") if isinstance(n, Need) and is_open(n)]
    service = MatchService(engine)
    compared = 0
    for need in needs:
        alone = service.match_need(need, target="achievement", k=10, explain=False)
        got = stored.get(need.id, [])
        assert [(h.rank, h.candidate_id, h.score, h.confidence) for h in got] == \
            [(h.rank, h.id, h.score, h.confidence) for h in alone.hits], need.id
        assert all(h.routed == alone.routed_to_staff for h in got), need.id
        compared += bool(alone.hits)
    assert compared > len(needs) // 2  # most needs have hits: the comparison is real
    engine.close()
