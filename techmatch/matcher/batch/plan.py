"""Which open needs a batch run recomputes for one target kind (the incremental rule).

A need N, last computed in run R (whose start saw store sequence s_R), is recomputed when:

1. `full` was asked, or N has no stored result, or N's inputs fingerprint differs (its
   content changed; staff dropped or reopened one of its pairs, so its exclusions changed;
   or the configuration — k, ranker model, retrieval parameters, encoder,
   tokenizer, index schema — changed; see `fingerprint.py`);
2. more than `max(MIN_FALLBACK, FALLBACK_FRACTION × live candidates)` candidates changed
   after s_R: every need of R is recomputed (checking them one by one would cost more);
3. a candidate in N's stored top-k was updated or deleted after s_R;
4. a candidate added or updated after s_R (and not in N's top-k) scores against N, by
   `MatchService.score_pairs` (one vectorised pass over all remaining needs), a confidence
   c with logit(c) ≥ logit(c_k) − MARGIN, c_k the confidence of N's stored k-th hit; when
   N stored fewer than k hits any such candidate triggers it. The comparison is in logit
   space because confidence is a squashed score: for the default ranker c = σ(8·score),
   so MARGIN = 0.16 is 0.02 on the score scale, whatever the confidence level.

For the expert target, "candidates changed" also includes every expert whose works (or an
achievement's `owners`) name an achievement changed after s_R, since work evidence feeds
expert scores; and

5. (expert target) an achievement added or updated after s_R is in N's achievement ranking
   (`work_depth` deep: the ranking every expert's work features read — its top is N's
   field sample and the scale of the work scores), whoever owns it: adding one unowned
   achievement moved an unrelated need's expert confidences by 0.13 before this rule.
   A deleted achievement's place in that ranking is not stored: it counts as held when the
   ranking is shorter than its depth (it held every achievement) or N's stored achievement
   results name it (deleting one moved another need's expert confidence by 0.06).

Only open needs are planned; closed / matched needs keep their results.

What the rule ignores, and why MARGIN exists: second-order effects of a change on the other
candidates of N — BM25 document frequencies, the RRF rank shift of candidates below the new
one, and the per-query normalisation of list-relative features (max-normalised fused /
lexical, min-max `hybrid_mm`, whose rescaling changes its weight against the facet and PRF
features; and, for experts, the discipline centroids behind `field_profile`
(techmatch.matcher.fieldprofile), which every achievement change moves a little: on
csl-expert-dev, 75 disciplines of median 21 records, removing one record moved an expert's
score by at most 0.0115 over 40 draws, median 0.0046 — `/tmp/lead/s29/centshift.py`, not
committed). These move scores by about a hundredth (one RRF rank shift changes a fused score
by ~1.6 %, and the fused feature weighs 0.3); the changed candidate itself entering the top-k
is caught by rule 4 with that margin, but two other candidates whose scores are that close
can swap places without N being planned. So an incremental run stores what a full run would
store up to such near ties (at most SECOND_ORDER apart on the score scale; on the samples,
rewriting an unused record as a copy of a need swapped pairs 0.0002–0.0034 apart in 2 of 3
trials — `tests/matcher/batch/test_batch_run.py`). The lexical list of a translated query
(techmatch.matcher.crosslingual) scores each record by its own BM25 times a factor of the
query and the index's document frequencies (the two queries' attainable BM25), so a changed
record moves the other records' scores there only through document frequencies — but for
the whole translated list at once, which in a small corpus can exceed MARGIN (a backend
without document frequencies lifts the translated list by rank instead: a record entering it
shifts the scores below it); a `--full` run is the exact way after large changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.batch import results
from techmatch.matcher.batch.fingerprint import need_fingerprint, need_inputs
from techmatch.matcher.experts import achievement_rankings
from techmatch.matcher.features import Query
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement, Expert, Need, Record
from techmatch.store import Change, Store

FALLBACK_FRACTION = 0.05
MIN_FALLBACK = 20
MARGIN = 0.16
SECOND_ORDER = 0.02  # score gap within which a change's side effects may swap two candidates
_EPS = 1e-6
# Why a need is recomputed (codes stored with the run's plan and counts), for staff.
REASON_LABELS: dict[str, str] = {
    "full": "全量重算",
    "new": "尚无结果",
    "need_or_config_changed": "需求、排除或配置有变",
    "many_candidates_changed": "大量候选有变",
    "candidate_in_topk_changed": "前 k 名中的候选有变",
    "candidate_may_enter_topk": "新的或改动的候选可能进入前 k 名",
    "achievement_in_works_ranking": "需求的成果排名中有新增、改动或删除的成果（影响专家得分）",
}


@dataclass
class Plan:
    """The needs of one target kind to recompute (need id → reason) and the rest."""

    kind: str
    recompute: dict[str, str] = field(default_factory=dict)
    skipped: int = 0
    fingerprints: dict[str, str] = field(default_factory=dict)


def plan_kind(store: Store, service: MatchService, needs: Sequence[Need], *, kind: str, k: int,
              config_fp: str, full: bool, run_seqs: dict[str, dict[str, int]]) -> Plan:
    """Apply the rule above to the open `needs`; `run_seqs` maps run id → its start seqs."""
    plan = Plan(kind=kind)
    inputs = need_inputs(store, needs, kind)
    plan.fingerprints = {n.id: need_fingerprint(config_fp, inputs[n.id]) for n in needs}
    stored = results.state(store, kind)
    groups: dict[str, list[Need]] = {}
    for need in needs:
        prior = stored.get(need.id)
        if full:
            plan.recompute[need.id] = "full"
        elif prior is None:
            plan.recompute[need.id] = "new"
        elif prior[0] != plan.fingerprints[need.id]:
            plan.recompute[need.id] = "need_or_config_changed"
        else:
            groups.setdefault(prior[1], []).append(need)
    if groups:
        top = results.topk(store, kind)
        for run_id in sorted(groups):
            since = run_seqs.get(run_id, {})
            _candidate_rule(store, service, groups[run_id], plan, kind=kind, k=k, top=top,
                            since=since)
    plan.skipped = len(needs) - len(plan.recompute)
    return plan


def _candidate_rule(store: Store, service: MatchService, needs: list[Need], plan: Plan, *,
                    kind: str, k: int, top: dict[str, list[tuple[str, float]]],
                    since: dict[str, int]) -> None:
    """Rules 2–5 for needs whose results were computed in the same run."""
    changed = changed_candidates(store, kind, since)
    live = max(store.count(kind), 1)
    if len(changed) > max(MIN_FALLBACK, FALLBACK_FRACTION * live):
        for need in needs:
            plan.recompute[need.id] = "many_candidates_changed"
        return
    rest = []
    for need in needs:
        if any(cand in changed for cand, _ in top.get(need.id, [])):
            plan.recompute[need.id] = "candidate_in_topk_changed"
        else:
            rest.append(need)
    if kind == "expert":
        rest = _works_rule(store, service, rest, plan, since=since)
    if not changed:
        return
    live_records = [r for r in store.get_many(sorted(changed)).values() if r.kind == kind]
    if not rest or not live_records:
        return
    conf = service.score_pairs(rest, live_records, target=kind)
    best = logit(conf.max(axis=1)) if conf.size else np.full(len(rest), -np.inf)
    for need, score in zip(rest, best, strict=True):
        hits = top.get(need.id, [])
        floor = float(logit(np.array([hits[k - 1][1]]))[0]) - MARGIN if len(hits) >= k \
            else -np.inf
        if score >= floor:
            plan.recompute[need.id] = "candidate_may_enter_topk"


def _works_rule(store: Store, service: MatchService, needs: list[Need], plan: Plan, *,
                since: dict[str, int]) -> list[Need]:
    """Rule 5 (expert target): a need whose achievement ranking — the one its experts' work
    features read (`techmatch.matcher.experts`, `work_depth` deep) — holds an achievement
    added or updated after s_R is recomputed, whoever owns it: its top FIELD_K are the
    need's field sample (`work_field` of every expert), its best sets the scale of all work
    scores, and it moves the fused scores of the works ranked below it. Returns the needs
    left for rule 4."""
    changes = _changes(store, "achievement", since)
    touched = sorted({c.id for c in changes}) if changes else []
    live = set(store.get_many(touched)) if touched else set()
    deleted = set(touched) - live
    if not needs or not touched:
        return needs
    stored = results.topk(store, "achievement") if deleted else {}
    engine = service.engine
    texts = [Query.of(n).text for n in needs]
    vectors = engine.query_vectors([normalize(t, lower=False) for t in texts],
                                   stored=[True] * len(texts))
    rankings = achievement_rankings(engine, texts, vectors, service.work_depth)
    if rankings is None:
        return needs
    rest = []
    for need, ranking in zip(needs, rankings, strict=True):
        # a deleted one was in it when the ranking holds every achievement (shorter than
        # its depth) or the need's stored achievement results name it
        held = deleted and (len(ranking.hits) < service.work_depth or deleted.intersection(
            c for c, _ in stored.get(need.id, [])))
        if held or live.intersection(h.id for h in ranking.hits):
            plan.recompute[need.id] = "achievement_in_works_ranking"
        else:
            rest.append(need)
    return rest


def logit(conf: np.ndarray) -> np.ndarray:
    """log(c / (1 − c)), clipped away from 0 and 1."""
    c = np.clip(np.asarray(conf, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(c / (1.0 - c))


def changed_candidates(store: Store, kind: str, since: dict[str, int]) -> set[str]:
    """Ids of `kind` records upserted or deleted after the run start seqs `since`.

    Without a known start seq every candidate counts as changed. For experts, experts
    linked to a changed achievement (its `owners`, or the expert's `works`) count too.
    """
    changes = _changes(store, kind, since)
    if changes is None:
        return set(store.record_seqs(kind))
    out = {c.id for c in changes}
    if kind == "expert":
        achievements = _changes(store, "achievement", since)
        touched = ({c.id for c in achievements} if achievements is not None
                   else set(store.record_seqs("achievement")))
        if touched:
            out |= _experts_linked(store, touched)
    return out


def _changes(store: Store, kind: str, since: dict[str, int]) -> list[Change] | None:
    if kind not in since:
        return None
    return store.changes_since(int(since[kind]), kind)


def _experts_linked(store: Store, achievement_ids: set[str]) -> set[str]:
    out: set[str] = set()
    for rec in store.get_many(sorted(achievement_ids)).values():
        if isinstance(rec, Achievement):
            out.update(rec.owners)
    for expert in store.iter_records("expert"):
        if isinstance(expert, Expert) and achievement_ids.intersection(expert.works):
            out.add(expert.id)
    return out


def is_open(record: Record) -> bool:
    return isinstance(record, Need) and str(record.status) == "open"
