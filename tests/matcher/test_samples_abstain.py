"""On the samples, with the real encoder and the shipped abstention model (fitted on the dev
sets, never on the samples): the deliberately unmatched needs are routed to staff for
achievements and for experts, matched needs are not; English and Chinese records that answer
each other find each other; plans never dispatch a pair the engine would route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from samples_home import samples_engine

from techmatch.matcher.abstain import default_abstain
from techmatch.matcher.assignment import Constraints
from techmatch.matcher.assignment.problem import Reason
from techmatch.matcher.engine import Engine
from techmatch.matcher.explain import NOT_CALIBRATED
from techmatch.matcher.plans import plan_team
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.service import MatchService
from techmatch.models.records import Need
from techmatch.models.results import Ranking

pytestmark = pytest.mark.slow  # encodes the 214 sample texts on a cold cache

UNMATCHED = {"N024", "N030", "N040", "N047"}  # data/samples/README.md
ENGLISH = {"N036", "N042", "N048"}
# grade-2 pairs of qrels.tsv between an English and a Chinese record
CROSS = [("N036", "A080"), ("N042", "A088"), ("N048", "A097"), ("N004", "A012"),
         ("N007", "A018"), ("N015", "A038"), ("N018", "A047"), ("N033", "A073"),
         ("N044", "A093")]
KNOWN_GAP = {("N015", "A038"): 4}  # default weights only; docs/evaluation.md, "Across languages"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = samples_engine(tmp_path_factory.mktemp("abstain") / "home")
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def service(engine: Engine) -> MatchService:
    return MatchService(engine, model=RankerModel())  # default weights + shipped abstention


def test_shipped_models_fit_the_default_encoder(engine: Engine) -> None:
    for kind in ("achievement", "expert"):
        model = default_abstain(kind)
        assert model is not None and model.fits(engine.encoder.id)
        assert model.hits is not None  # fitted confidences below the top hit


def test_fitted_hit_confidences_are_not_called_uncalibrated(service: MatchService) -> None:
    """The default weights have no calibration of their own, but the shipped abstention
    models' hit models give every confidence, so no hit may say 置信度未经校准 (the note
    appeared on every expert hit of `make run`)."""
    for target in ("achievement", "expert"):
        ranking = service.match_need("N001", target=target, k=3)  # type: ignore[arg-type]
        assert ranking.hits and all(h.explanation is not None for h in ranking.hits)
        assert not [h.id for h in ranking.hits if NOT_CALIBRATED in h.explanation.notes]


def test_experts_are_never_marked_near_duplicates_of_each_other(service: MatchService) -> None:
    """Profile vectors are no evidence that two people are one record: N024's second expert
    (周鹏, E051) was shown as 与 E005 近似重复 (吴晓东). Achievements keep the marking."""
    needs = [n for n in service.engine.store.iter_records("need") if isinstance(n, Need)]
    rankings = service.match_many(needs, target="expert", k=5)
    assert not [(r.query_id, h.id) for r in rankings for h in r.hits if h.duplicate_of]
    assert not [(r.query_id, h.id) for r in rankings for h in r.hits if h.explanation
                and any("近似重复" in n for n in h.explanation.notes)]


def test_unmatched_needs_are_routed_and_at_most_one_matched_need(service: MatchService
                                                                 ) -> None:
    """The issue's rule: every deliberately unmatched need is routed for achievements and
    for experts, and at most one matched need is routed, both kinds together."""
    needs = [n for n in service.engine.store.iter_records("need") if isinstance(n, Need)]
    matched_routed: list[tuple[str, str]] = []
    for target in ("achievement", "expert"):
        rankings = service.match_many(needs, target=target, k=5, explain=False)
        routed = {n.id for n, r in zip(needs, rankings, strict=True) if r.routed_to_staff}
        assert UNMATCHED <= routed, (target, sorted(UNMATCHED - routed))
        matched_routed += [(target, n) for n in sorted(routed - UNMATCHED)]
        _check_confidences(service, needs, rankings)
    assert len(matched_routed) <= 1, matched_routed


def _check_confidences(service: MatchService, needs: list[Need],
                       rankings: list[Ranking]) -> None:
    threshold = service.engine.settings.confidence_threshold
    for need, ranking in zip(needs, rankings, strict=True):
        confidences = [h.confidence or 0.0 for h in ranking.hits]
        top = max(confidences)
        assert confidences[0] == top, need.id
        assert confidences == sorted(confidences, reverse=True), need.id  # never rises
        # routed when no hit that can become a docking is confident (techmatch.matcher.
        # conflicts): N010's best expert declared the enterprise in his exclusions
        dockable = max((h.confidence or 0.0 for h in ranking.hits if not h.conflict), default=0)
        assert ranking.routed_to_staff == (dockable < threshold), need.id
        if need.id in UNMATCHED:
            assert ranking.message and top < threshold


@pytest.mark.parametrize("shipped", [False, True], ids=["default-weights", "shipped-ranker"])
def test_english_and_chinese_records_find_each_other(engine: Engine, service: MatchService,
                                                     shipped: bool) -> None:
    ranker = MatchService(engine) if shipped else service  # a new home ranks with the shipped
    for need_id, achievement_id in CROSS:
        forward = ranker.match_need(need_id, target="achievement", k=10, explain=False)
        ranked = [h.id for h in forward.hits]
        # every pair in the top 3 both ways (other-language cosines calibrated by
        # techmatch.matcher.langshift, translated BM25 on the native query's scale by
        # techmatch.matcher.crosslingual), but with default weights N015 -> A038: 4th behind
        # its grade-2 A036 and the grade-1 A037 / A039, which share the need's discipline or
        # region (known gap; the shipped ranker has it 3rd)
        top = 3 if shipped else KNOWN_GAP.get((need_id, achievement_id), 3)
        assert achievement_id in ranked[:top], (need_id, achievement_id, ranked)
        back = ranker.match_achievement(achievement_id, k=3, explain=False)
        assert need_id in [h.id for h in back.hits], (achievement_id, need_id)


def test_free_text_english_need_finds_the_chinese_answers(service: MatchService) -> None:
    ranking = service.search("boehmite ceramic coating slurry for lithium battery separators",
                             kind="achievement", k=3, explain=False)
    assert {"A001", "A042"} & {h.id for h in ranking.hits}


def test_team_plan_never_dispatches_below_the_minimum_confidence(engine: Engine,
                                                                 service: MatchService) -> None:
    needs = ["N024", "N040", "N010", "N015"]
    experts = [e.id for e in engine.store.iter_records("expert")]
    plan = plan_team(engine, service, need_ids=needs, expert_ids=experts,
                     constraints=Constraints(min_experts_per_need=0, max_experts_per_need=2))
    threshold = engine.settings.confidence_threshold
    assert plan.problem.constraints.min_score == threshold
    assert all(p.score >= threshold for p in plan.assignment.pairs)
    assert not {p.need_id for p in plan.assignment.pairs} & UNMATCHED
    i = plan.problem.need_index("N040")
    [j] = [j for j in range(len(plan.problem.experts))
           if plan.problem.reasons[i, j] == Reason.below_threshold][:1]
    [answer] = plan.why_not([("N040", plan.problem.experts[j].id)])
    assert answer.reason == "below_threshold"
    assert "below the minimum confidence" in answer.message


@pytest.mark.parametrize("shipped", [False, True], ids=["default-weights", "shipped-ranker"])
def test_a_need_whose_confident_experts_cannot_serve_it_is_routed(
        engine: Engine, service: MatchService, shipped: bool) -> None:
    """N010's best expert (E018) declared its enterprise in his exclusions: the list keeps him
    first and confident, but no one who can serve the need is, so staff must find someone."""
    ranker = MatchService(engine) if shipped else service
    threshold = engine.settings.confidence_threshold
    ranking = ranker.match_need("N010", target="expert", k=10, explain=False)
    first = ranking.hits[0]
    assert (first.id, first.conflict) == ("E018", "excluded")
    assert (first.confidence or 0.0) >= threshold
    assert all((h.confidence or 0.0) < threshold for h in ranking.hits if not h.conflict)
    assert ranking.routed_to_staff
    assert ranking.message == "可信的候选均不宜对接（专家声明回避该企业），请转人工处理"
