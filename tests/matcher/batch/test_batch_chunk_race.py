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


def _raced_run(engine: FakeEngine, monkeypatch: pytest.MonkeyPatch, need: str, *,
               fail_after: bool = False) -> list[str]:
    """Patch the chunks so that, after the chunk holding `need` read it, staff reject its
    best candidate and the live refresh stores its rows (the chunk then commits); with
    `fail_after` the next chunk fails once (the run is resumed afterwards)."""
    top = _stored(engine, need)[0]
    service = MatchService(engine)
    computed = batch_run._Job._rows
    raced: list[str] = []
    failed: list[bool] = []

    def rows_then_staff(job: batch_run._Job, kind: str, need_ids: list[str]
                        ) -> list[results.NeedResult]:
        if fail_after and raced and not failed and need not in need_ids:
            failed.append(True)
            raise RuntimeError("机器重启")
        rows = computed(job, kind, need_ids)
        if need in need_ids and not raced:
            record_feedback(engine.store, need, top, label="rejected", reason="not_relevant")
            raced.extend(refresh_needs(service, [need]).rematched)
        return rows

    monkeypatch.setattr(batch_run._Job, "_rows", rows_then_staff)
    return raced


def _assert_adds_up(counts: dict[str, object], summary: batch_run.BatchSummary) -> None:
    kind = counts["achievement"]
    assert isinstance(kind, dict)
    assert kind["recomputed"] + kind["skipped"] + kind["skipped_fresh"] == counts["open_needs"]
    assert summary.recomputed + summary.skipped + summary.skipped_fresh == counts["open_needs"]


def test_a_need_the_chunk_left_to_a_staff_refresh_is_counted_apart(
        batched: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    from batch_helpers import OPEN_SAMPLE_NEEDS

    from techmatch.api.routers.stats import _run_view
    from techmatch.cli.batch import summary_lines

    raced = _raced_run(batched, monkeypatch, "N020")
    summary = run_batch(batched, replace(OPTIONS, full=True, workers=1))
    assert raced == ["N020"]
    assert summary.skipped_fresh == 1
    assert summary.recomputed == OPEN_SAMPLE_NEEDS - 1  # full: every other open need
    assert summary.counts["achievement"]["recomputed"] == OPEN_SAMPLE_NEEDS - 1
    assert summary.counts["achievement"]["skipped_fresh"] == 1
    _assert_adds_up(summary.counts, summary)
    stored = results.runs(batched.store, limit=1)[0]
    assert stored.counts["achievement"]["skipped_fresh"] == 1  # the run record (API, console)
    assert _run_view(stored)["count_labels"]["skipped_fresh"] == "运行期间经人工操作更新"
    lines = summary_lines(summary, OPTIONS.kinds, {})
    assert f"重算 {OPEN_SAMPLE_NEEDS - 1} 条待匹配需求" in lines[0]
    assert "运行期间经人工操作更新 1 条" in lines[0]
    assert "运行期间经人工操作更新 1 条" in lines[1]


def test_the_count_survives_a_resumed_run(batched: FakeEngine,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from batch_helpers import OPEN_SAMPLE_NEEDS

    _raced_run(batched, monkeypatch, "N020", fail_after=True)
    options = replace(OPTIONS, full=True, workers=1)
    with pytest.raises(RuntimeError):
        run_batch(batched, options)
    summary = run_batch(batched, options)
    assert summary.resumed
    assert summary.skipped_fresh == 1
    assert summary.counts["achievement"]["skipped_fresh"] == 1
    assert summary.recomputed == OPEN_SAMPLE_NEEDS - 1
    _assert_adds_up(summary.counts, summary)
