"""A pair dropped as not relevant never comes back: match, batch, roadshow, team assignment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_helpers import OPTIONS, FakeEngine, sample_engine

from techmatch.cli.demo import SAMPLES
from techmatch.matcher.assignment import Constraints
from techmatch.matcher.batch import results, run_batch
from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
from techmatch.matcher.feedback import record_feedback
from techmatch.matcher.plans import load_teams, pick_team, plan_city_roadshow, plan_team
from techmatch.matcher.service import MatchService
from techmatch.models.results import Ranking


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[FakeEngine]:
    eng = sample_engine(tmp_path / "home")
    yield eng
    eng.close()


def _drop(engine: FakeEngine, need: str, cand: str, *, reason: str = "not_relevant",
          never: bool = False) -> str:
    d = create_docking(engine.store, NewDocking(need, cand, source="match"))
    move_docking(engine.store, d.id, Move(to="dropped", version=1, reason=reason,
                                          never_suggest=never))
    return d.id


def test_match_leaves_the_pair_out_and_lists_it_when_asked(engine: FakeEngine) -> None:
    service = MatchService(engine)
    before = service.match_need("N001", target="achievement", k=5, explain=False)
    top = before.hits[0].id
    did = _drop(engine, "N001", top)
    after = service.match_need("N001", target="achievement", k=5, explain=False,
                               show_excluded=True)
    assert top not in {h.id for h in after.hits} and len(after.hits) == 5
    assert after.hits[0].id == before.hits[1].id
    assert [(e.candidate_id, e.docking_id, e.reason, e.reason_label)
            for e in after.excluded or []] == [(top, did, "not_relevant", "不相关")]
    plain = service.match_need("N001", target="achievement", k=5, explain=False)
    assert plain.excluded is None
    # Other needs still get it; a drop for another reason does not exclude.
    second = before.hits[1].id
    _drop(engine, "N001", second, reason="too_costly")
    assert second in {h.id for h in service.match_need("N001", target="achievement", k=5,
                                                       explain=False).hits}


def _kept(before: Ranking, after: Ranking, dropped: str) -> None:
    """`after` (the same query after `dropped` was rejected) leaves it out, ranks 1..k without
    gaps, and every other candidate keeps the confidence it had before the rejection (the
    features and confidences are list-relative: the list must be the same)."""
    assert dropped not in {h.id for h in after.hits}
    assert [h.rank for h in after.hits] == list(range(1, len(after.hits) + 1))
    was = {h.id: h.confidence for h in before.hits}
    assert [h.id for h in after.hits if h.id in was] == \
        [h.id for h in before.hits if h.id != dropped]
    assert len(after.hits) == len(before.hits)  # the next candidate moved up into the k
    for h in after.hits:
        if h.id in was:
            assert h.confidence == pytest.approx(was[h.id], abs=1e-9), h.id
    for h in after.hits:  # no explanation speaks of the dropped candidate
        assert h.duplicate_of != dropped
        assert h.explanation is not None and dropped not in h.explanation.model_dump_json()


@pytest.mark.parametrize("target", ["achievement", "expert"])
def test_a_rejection_leaves_the_others_confidences_as_they_were(engine: FakeEngine,
                                                                 target: str) -> None:
    """Rejecting N016's top achievement lifted A041 from 22 % to 75 % on the real encoder:
    the dropped pair was taken out before the list-relative features were built."""
    service = MatchService(engine)
    before = service.match_need("N016", target=target, k=10)  # type: ignore[arg-type]
    top = before.hits[0].id
    _drop(engine, "N016", top)
    after = service.match_need("N016", target=target, k=10,  # type: ignore[arg-type]
                               show_excluded=True)
    _kept(before, after, top)
    assert [e.candidate_id for e in after.excluded or []] == [top]
    [many] = service.match_many([engine.store.get("N016")], target=target,  # type: ignore[list-item]
                                k=10)
    assert [h.id for h in many.hits] == [h.id for h in after.hits]  # the batch's path
    assert [h.confidence for h in many.hits] == \
        pytest.approx([h.confidence for h in after.hits], abs=1e-9)


def test_a_rejection_leaves_the_other_needs_confidences_as_they_were(
        engine: FakeEngine) -> None:
    """Achievement → needs: the need that dropped the achievement is left out, the other
    needs keep their confidences."""
    service = MatchService(engine)
    before = service.match_achievement("A040", k=10)
    top = before.hits[0].id
    _drop(engine, top, "A040")
    _kept(before, service.match_achievement("A040", k=10), top)


def test_feedback_rejected_not_relevant_excludes_like_a_drop(engine: FakeEngine) -> None:
    service = MatchService(engine)
    expert = service.match_need("N002", target="expert", k=3, explain=False).hits[0].id
    record_feedback(engine.store, "N002", expert, label="rejected", reason="not_relevant")
    again = service.match_need("N002", target="expert", k=10, explain=False,
                               show_excluded=True)
    assert expert not in {h.id for h in again.hits}
    assert [e.candidate_id for e in again.excluded or []] == [expert]
    many = service.match_many([engine.store.get("N002")], target="expert", k=10,  # type: ignore[list-item]
                              explain=False)
    assert expert not in {h.id for h in many[0].hits}


def test_incremental_batch_recomputes_exactly_the_need_whose_exclusions_changed(
        batched: FakeEngine) -> None:
    stored = results.topk(batched.store, "achievement")
    top = {n: [c for c, _ in v] for n, v in stored.items()}
    need = sorted(top)[0]
    dropped = top[need][0]
    _drop(batched, need, dropped, never=True, reason="too_early")  # excluded: never_suggest
    summary = run_batch(batched, OPTIONS)
    assert summary.recomputed == 1
    assert summary.counts["achievement"]["reasons"] == {"need_or_config_changed": 1}
    after = {n: [c for c, _ in v] for n, v in results.topk(batched.store, "achievement").items()}
    assert dropped not in after[need] and after[need][0] == top[need][1]
    # the others keep the confidences stored before the drop (their list is scored unchanged;
    # 1e-6: the need is now encoded alone, not in its chunk, as test_batch_equals_per_need)
    was = dict(stored[need])
    now = dict(results.topk(batched.store, "achievement")[need])
    assert {c: now[c] for c in was if c in now} == \
        pytest.approx({c: was[c] for c in was if c in now}, abs=1e-6)
    assert {n: v for n, v in after.items() if n != need} == \
        {n: v for n, v in top.items() if n != need}
    assert run_batch(batched, OPTIONS).recomputed == 0  # and it stays out


def test_roadshow_never_invites_a_dropped_pair(engine: FakeEngine) -> None:
    service = MatchService(engine)
    kw = {"city": "苏州", "industry": "新材料", "slots": 3, "invites_per_achievement": 3}
    plan = plan_city_roadshow(engine, service, **kw)  # type: ignore[arg-type]
    item = plan.items[0]
    need = item.invitees[0].need_id
    _drop(engine, need, item.achievement_id)
    again = plan_city_roadshow(engine, service, **kw)  # type: ignore[arg-type]
    invited = {(i.achievement_id, v.need_id) for i in again.items for v in i.invitees}
    assert (item.achievement_id, need) not in invited
    assert [(e.need_id, e.candidate_id) for e in again.excluded] == [(need, item.achievement_id)]
    # the note names the pair for staff (it said 见 excluded, a JSON field they never see)
    assert any("已被工作人员终止" in n and f"{need}–{item.achievement_id}" in n
               and "excluded" not in n for n in again.notes)


def test_team_assignment_never_assigns_a_dropped_pair(engine: FakeEngine) -> None:
    service = MatchService(engine)
    team = pick_team(load_teams(SAMPLES / "teams.jsonl"), "T01")
    # Any score counts (the fake encoder's confidences sit below the routing threshold).
    limits = Constraints(min_experts_per_need=1, max_experts_per_need=2, min_score=0.0)
    plan = plan_team(engine, service, team=team, constraints=limits)
    pair = (plan.assignment.pairs[0].need_id, plan.assignment.pairs[0].expert_id)
    _drop(engine, *pair)
    again = plan_team(engine, service, team=team, constraints=limits)
    assert pair not in {(p.need_id, p.expert_id) for p in again.assignment.pairs}
    assert [(e.need_id, e.candidate_id) for e in again.excluded] == [pair]
    [why] = again.why_not([pair])
    assert why.reason != "assigned" and "staff dropped this pair" in why.message
    # staff read that it was dropped and why (the text said 没有匹配分: its score was blanked)
    assert (why.reason, why.reason_label) == ("dropped", "对接已被工作人员终止")
    assert why.text.startswith("对接已被工作人员终止：不相关（匹配分 ")
    load = next(x for x in again.assignment.experts if x.expert_id == pair[1])
    assert load.blocked.get("dropped") == 1 and "unscored" not in load.blocked
    assert "对接已被工作人员终止 1 条" in load.blocked_text
