"""Every need of the samples matched on the real embedded index (fake encoder, so it is fast):
each highlighted term really occurs in both original texts at the given spans."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeEncoder

from techmatch.config import Settings
from techmatch.indexers.ingest.load import ingest_files
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService
from techmatch.models.records import Need, record_type
from techmatch.models.results import Ranking

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FILES = {"need": "needs.jsonl", "achievement": "achievements.jsonl", "expert": "experts.jsonl"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> MatchService:
    home = tmp_path_factory.mktemp("samples")
    engine = Engine.open(Settings(home=home, threads=1), encoder=FakeEncoder())
    for kind, name in FILES.items():
        ingest_files([SAMPLES / name], kind, engine.store, reject_dir=home / "rejects")
    engine.sync()
    return MatchService(engine)


def _check_spans(query_text: str, ranking: Ranking) -> int:
    checked = 0
    for hit in ranking.hits:
        assert hit.explanation is not None and hit.record is not None
        record_text = record_type(hit.kind).model_validate(hit.record).text()
        for term in hit.explanation.matched_terms:
            assert term.query_spans and term.record_spans
            assert normalize(term.display) == term.term, (hit.id, term)  # the need's own writing
            for s, e in term.query_spans:
                assert normalize(query_text[s:e]) == term.term, (hit.id, term)
            for s, e in term.record_spans:
                assert normalize(record_text[s:e]) == term.term, (hit.id, term)
            checked += 1
    return checked


def test_highlights_occur_in_both_original_texts(service: MatchService) -> None:
    needs = list(service.engine.store.iter_records("need"))
    assert len(needs) >= 40
    checked = 0
    traditional = {"N006", "N017", "N041", "N047"}
    seen_traditional = 0
    for target in ("achievement", "expert"):
        rankings = service.match_many(needs, target=target, k=5)  # type: ignore[arg-type]
        for need, ranking in zip(needs, rankings, strict=True):
            n = _check_spans(need.text(), ranking)
            checked += n
            if need.id in traditional and n:
                seen_traditional += 1
    assert checked > 500
    assert seen_traditional >= 3  # traditional-Chinese needs are highlighted on their originals


def test_reverse_match_spans(service: MatchService) -> None:
    achievement = service.engine.store.get("A001")
    ranking = service.match_achievement(achievement.id, k=5)  # type: ignore[arg-type]
    assert ranking.hits and _check_spans(achievement.text(), ranking) > 0
    assert isinstance(service.engine.store.get(ranking.hits[0].id), Need)


def test_both_copies_of_a_known_duplicate_are_retrieved(service: MatchService) -> None:
    ranking = service.match_need("N001", target="achievement", k=10)
    ids = [h.id for h in ranking.hits]
    assert "A001" in ids and "A042" in ids


def test_pairs_that_are_no_docking_are_marked(service: MatchService) -> None:
    """The samples' own results and conflicted experts (data/samples/README.md): kept in the
    lists (they are relevant) and marked; nothing else is."""
    cases = [("N015", "achievement", {"A039": "own_result"}),
             ("N001", "achievement", {"A004": "own_result"}),
             ("N001", "expert", {"E003": "same_organization"}),
             ("N010", "expert", {"E018": "excluded"})]
    for need_id, target, marked in cases:
        ranking = service.match_need(need_id, target=target, k=50, explain=False)
        found = {h.id: h.conflict for h in ranking.hits if h.conflict}
        assert found == marked, (need_id, target)
    reverse = service.match_achievement("A039", k=50, explain=False)
    hit = next(h for h in reverse.hits if h.id == "N015")
    assert (hit.conflict, hit.model_dump()["conflict_label"]) == ("own_result", "需求企业自有成果")
    assert all(h.conflict is None for h in service.search("电池包热失控预警", kind="achievement",
                                                          k=20, explain=False).hits)


def test_prefer_local_takes_its_place_among_the_contributions(service: MatchService) -> None:
    """同省优先 was appended after the sorted signals: staff read it last (and `techmatch
    match` left it out of 主要信号) even when it added more than the signals above it."""
    moved = 0
    for need_id in ("N003", "N001", "N004", "N006"):
        for target in ("achievement", "expert"):
            ranking = service.match_need(need_id, target=target, k=5,  # type: ignore[arg-type]
                                         prefer_local=True)
            for hit in ranking.hits:
                assert hit.explanation is not None
                items = hit.explanation.contributions
                sizes = [abs(c.contribution) for c in items]
                assert sizes == sorted(sizes, reverse=True), (need_id, hit.id)
                local = [i for i, c in enumerate(items) if c.name == "prefer_local"]
                moved += bool(local and items[local[0]].contribution
                              and local[0] < len(items) - 1)
    assert moved > 0


def test_matched_terms_leave_out_comparisons_units_and_link_words(service: MatchService) -> None:
    """共同词 read 以上、低于、小时、用于 beside the technical terms (以上 in 18 of the samples'
    top-5 lists): words that match anything and tell staff nothing."""
    needs = list(service.engine.store.iter_records("need"))
    listed: set[str] = set()
    for target in ("achievement", "expert"):
        for ranking in service.match_many(needs, target=target, k=5):  # type: ignore[arg-type]
            listed |= {t.term for h in ranking.hits for t in h.explanation.matched_terms}  # type: ignore[union-attr]
    assert not listed & {"以上", "低于", "小时", "用于", "使用"}
    assert {"勃姆石", "剥离强度", "cho", "深度学习"} <= listed
