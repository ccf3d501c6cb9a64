"""The batch job on the samples (fake engine): incremental rule, run records, lock, config."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from batch_helpers import OPEN_SAMPLE_NEEDS, OPTIONS, FakeEngine, engine_from
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.errors import LockedError, ValidationError
from techmatch.matcher.batch import BatchOptions, checkpoint, results, run_batch
from techmatch.matcher.batch.lock import batch_lock
from techmatch.matcher.batch.plan import SECOND_ORDER, changed_candidates
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement, Need


def ranked(engine: FakeEngine) -> dict[str, list[str]]:
    return {n: [c for c, _ in v] for n, v in results.topk(engine.store, "achievement").items()}


def test_second_run_without_changes_recomputes_nothing(batched: FakeEngine) -> None:
    before = ranked(batched)
    summary = run_batch(batched, OPTIONS)
    assert summary.recomputed == 0
    assert summary.skipped == OPEN_SAMPLE_NEEDS
    assert "nothing changed" in summary.message
    assert ranked(batched) == before
    first, = results.runs(batched.store, status="finished", limit=2)[1:]
    assert first.counts["achievement"]["recomputed"] == OPEN_SAMPLE_NEEDS
    assert first.finished is not None and first.generations["achievement"]


def test_runs_list_newest_first_within_one_second(batched: FakeEngine) -> None:
    """Runs nothing changed for take milliseconds: several start in one second and must still
    list in the order they ran (their `started` carries microseconds)."""
    ids = [run_batch(batched, OPTIONS).run_id for _ in range(4)]
    listed = [r.run_id for r in results.runs(batched.store, status="finished", limit=4)]
    assert listed == ids[::-1]


def test_changed_achievement_recomputes_only_needs_it_can_affect(
        batched: FakeEngine, batched_snapshot: Path, tmp_path: Path) -> None:
    used = Counter(c for v in ranked(batched).values() for c in v)
    unused = next(a for a in sorted(batched.store.record_seqs("achievement")) if not used[a])
    need = batched.store.get("N020", "need")
    assert isinstance(need, Need)
    rewritten = batched.store.get(unused).model_copy(update={
        "title": need.title, "abstract": need.description, "keywords": need.keywords})
    batched.store.upsert([rewritten])

    summary = run_batch(batched, OPTIONS)
    plan = checkpoint.planned(batched.store, summary.run_id, "achievement")
    assert "N020" in plan and len(plan) <= 8
    assert set(plan.values()) == {"candidate_may_enter_topk"}
    assert ranked(batched)["N020"][0] == unused

    # the rule lost nothing beyond second-order swaps: a full recompute of the same data
    # gives the same top-k, but for near ties the change reordered (plan.py, SECOND_ORDER)
    _same_up_to_second_order(batched, batched_snapshot, rewritten, tmp_path / "full")


def test_incremental_runs_agree_with_full_ones_up_to_near_ties(
        batched_snapshot: Path, tmp_path: Path) -> None:
    """Several unused records rewritten in turn as a copy of N020 (each on a fresh copy):
    every need's incremental top-k equals a full run's, but for near ties."""
    base = engine_from(batched_snapshot, tmp_path / "base")
    run_batch(base, OPTIONS)
    used = Counter(c for v in ranked(base).values() for c in v)
    need = base.store.get("N020", "need")
    assert isinstance(need, Need)
    unused = [a for a in sorted(base.store.record_seqs("achievement")) if not used[a]][:3]
    assert len(unused) == 3
    for i, rid in enumerate(unused):
        engine = engine_from(batched_snapshot, tmp_path / f"inc{i}")
        run_batch(engine, OPTIONS)
        rewritten = engine.store.get(rid).model_copy(update={
            "title": need.title, "abstract": need.description, "keywords": need.keywords})
        engine.store.upsert([rewritten])
        run_batch(engine, OPTIONS)
        _same_up_to_second_order(engine, batched_snapshot, rewritten, tmp_path / f"full{i}")
        engine.close()
    base.close()


def _same_up_to_second_order(incremental: FakeEngine, snapshot: Path, rewritten: Achievement,
                             home: Path) -> None:
    other = engine_from(snapshot, home)
    other.store.upsert([rewritten])
    run_batch(other, replace(OPTIONS, full=True))
    full, kept = ranked(other), ranked(incremental)
    assert full.keys() == kept.keys()
    service = MatchService(other)
    for need_id, ids in full.items():
        if kept[need_id] == ids:
            continue
        scores = {h.id: h.score for h in service.match_need(
            need_id, target="achievement", k=50, explain=False).hits}
        for a, b in zip(kept[need_id], ids, strict=True):
            assert abs(scores[a] - scores[b]) <= SECOND_ORDER, (rewritten.id, need_id, a, b)
    other.close()


def test_deleted_candidate_recomputes_the_needs_that_held_it(batched: FakeEngine) -> None:
    top = ranked(batched)
    victim = top["N001"][0]
    holders = {n for n, ids in top.items() if victim in ids}
    batched.store.delete(victim)
    summary = run_batch(batched, OPTIONS)
    plan = checkpoint.planned(batched.store, summary.run_id, "achievement")
    assert set(plan) == holders
    assert all(victim not in ids for ids in ranked(batched).values())


def test_changed_need_is_recomputed_and_closed_need_keeps_results(batched: FakeEngine) -> None:
    before = ranked(batched)
    n5 = batched.store.get("N005", "need")
    n3 = batched.store.get("N003", "need")
    batched.store.upsert([n5.model_copy(update={"title": n5.title + "（加急）"}),
                          n3.model_copy(update={"status": "closed"})])
    summary = run_batch(batched, OPTIONS)
    plan = checkpoint.planned(batched.store, summary.run_id, "achievement")
    assert plan == {"N005": "need_or_config_changed"}
    assert summary.skipped == OPEN_SAMPLE_NEEDS - 2  # N003 is no longer open
    assert ranked(batched)["N003"] == before["N003"]


def test_deleted_need_results_are_forgotten(batched: FakeEngine) -> None:
    batched.store.delete("N004")
    summary = run_batch(batched, OPTIONS)
    assert summary.counts["forgotten_needs"] == 1
    assert "N004" not in ranked(batched)


def test_config_change_recomputes_every_open_need(batched: FakeEngine) -> None:
    summary = run_batch(batched, replace(OPTIONS, k=3))
    assert summary.recomputed == OPEN_SAMPLE_NEEDS
    assert summary.counts["achievement"]["reasons"] == {"need_or_config_changed": OPEN_SAMPLE_NEEDS}
    assert {len(v) for v in ranked(batched).values()} == {3}


def test_many_changed_candidates_fall_back_to_recomputing_all(batched: FakeEngine) -> None:
    achievements = [a for a in batched.store.iter_records("achievement")][:25]
    batched.store.upsert([a.model_copy(update={"abstract": a.abstract + "。"})
                          for a in achievements if isinstance(a, Achievement)])
    summary = run_batch(batched, OPTIONS)
    reasons = summary.counts["achievement"]["reasons"]
    assert reasons == {"many_candidates_changed": OPEN_SAMPLE_NEEDS}


def test_expert_candidates_include_owners_of_changed_achievements(batched: FakeEngine) -> None:
    expert = next(e for e in batched.store.iter_records("expert") if e.works)
    since = {"expert": batched.store.last_seq("expert"),
             "achievement": batched.store.last_seq("achievement")}
    work = batched.store.get(expert.works[0], "achievement")
    batched.store.upsert([work.model_copy(update={"abstract": work.abstract + "。"})])
    assert expert.id in changed_candidates(batched.store, "expert", since)
    assert changed_candidates(batched.store, "achievement", since) == {work.id}


def test_a_second_run_is_refused_while_the_lock_is_held(batched: FakeEngine) -> None:
    with batch_lock(batched.store):
        with pytest.raises(LockedError, match="另一个批量匹配正在运行"):
            run_batch(batched, OPTIONS)
        result = CliRunner().invoke(app, ["batch", "--home", str(batched.settings.home)])
    assert result.exit_code == 6
    assert "另一个批量匹配正在运行" in result.output


def test_bad_options_name_the_field() -> None:
    with pytest.raises(ValidationError, match="kinds") as kinds:
        BatchOptions(kinds=("need",))
    with pytest.raises(ValidationError, match="字段 k：") as k:  # the Chinese location (d71d513)
        BatchOptions(k=0)
    assert (kinds.value.field, k.value.field) == ("kinds", "k")


def test_expert_target_recomputes_needs_whose_expert_works_changed(batched: FakeEngine) -> None:
    options = replace(OPTIONS, kinds=("expert",))
    first = run_batch(batched, options)
    assert first.counts["expert"]["reasons"] == {"new": OPEN_SAMPLE_NEEDS}
    top = {n: [c for c, _ in v] for n, v in results.topk(batched.store, "expert").items()}
    expert = next(e for e in batched.store.get_many(top["N001"]).values() if e.works)
    holders = {n for n, ids in top.items() if expert.id in ids}
    work = batched.store.get(expert.works[0], "achievement")
    batched.store.upsert([work.model_copy(update={"abstract": work.abstract + "。"})])
    plan = checkpoint.planned(batched.store, run_batch(batched, options).run_id, "expert")
    assert holders <= set(plan)
    assert {plan[n] for n in holders} == {"candidate_in_topk_changed"}
