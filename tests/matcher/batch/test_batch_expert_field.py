"""Expert results read the need's achievement ranking (its field sample, the scale of work
scores), so an achievement nobody owns still changes them when it enters that ranking."""

from __future__ import annotations

from dataclasses import replace

from batch_helpers import OPTIONS, FakeEngine

from techmatch.matcher.batch import checkpoint, results, run_batch
from techmatch.matcher.batch.plan import SECOND_ORDER, is_open
from techmatch.matcher.service import MatchService
from techmatch.models.records import Need

CONFIDENCE_GAP = 0.02


def _off(engine: FakeEngine, k: int) -> dict[str, list[tuple[str, float, float]]]:
    """need → stored expert hits whose stored score is off the live one by > SECOND_ORDER
    (or that dropped out of the live list) or whose confidence is off by > CONFIDENCE_GAP
    (the hit-confidence model reads the work evidence too: 0.15 stored as 0.09 while the
    scores were 0.009 apart), and swapped pairs further apart than SECOND_ORDER."""
    service = MatchService(engine)
    out: dict[str, list[tuple[str, float, float]]] = {}
    for need in engine.store.iter_records("need"):
        if not (isinstance(need, Need) and is_open(need)):
            continue
        hits = service.match_need(need, target="expert", k=50, explain=False).hits
        live = {h.id: h.score for h in hits}
        conf = {h.id: h.confidence or 0.0 for h in hits}
        order = [h.id for h in service.match_need(need, target="expert", k=k,
                                                  explain=False).hits]
        stored = list(results.iter_hits(engine.store, ["expert"], need_id=need.id))
        bad = [(h.candidate_id, h.score, live.get(h.candidate_id, float("nan")))
               for h in stored
               if not abs(h.score - live.get(h.candidate_id, float("inf"))) <= SECOND_ORDER]
        bad += [(a, live[a], live[b]) for a, b in zip([h.candidate_id for h in stored], order,
                                                      strict=False)
                if a != b and a in live and not abs(live[a] - live[b]) <= SECOND_ORDER]
        bad += [(h.candidate_id, h.confidence or 0.0, conf[h.candidate_id]) for h in stored
                if h.candidate_id in conf
                and not abs((h.confidence or 0.0) - conf[h.candidate_id]) <= CONFIDENCE_GAP]
        if bad:
            out[need.id] = bad
    return out


def test_an_unowned_achievement_entering_a_needs_ranking_recomputes_its_experts(
        batched: FakeEngine) -> None:
    options = replace(OPTIONS, kinds=("achievement", "expert"))
    run_batch(batched, options)
    source = batched.store.get("A007", "achievement")  # E005's work, N003's answer
    batched.store.upsert([source.model_copy(update={
        "id": "A200", "owners": [], "title": "PCB缺陷AOI复判深度学习系统（第二代）"})])
    second = run_batch(batched, options)
    plan = checkpoint.planned(batched.store, second.run_id, "expert")
    assert plan.get("N003") == "achievement_in_works_ranking", plan
    assert _off(batched, options.k) == {}


def test_a_deleted_achievement_recomputes_the_experts_of_needs_it_ranked_for(
        batched: FakeEngine) -> None:
    """Its place in a need's achievement ranking is not stored, but a ranking shorter than
    `work_depth` held every achievement; following its owners alone left other experts'
    work scores stale (N047: 0.15 vs 0.09 on the real engine)."""
    options = replace(OPTIONS, kinds=("achievement", "expert"))
    run_batch(batched, options)
    batched.store.delete("A010")
    second = run_batch(batched, options)
    assert second.counts["expert"]["reasons"].get("achievement_in_works_ranking"), second.counts
    assert _off(batched, options.k) == {}
