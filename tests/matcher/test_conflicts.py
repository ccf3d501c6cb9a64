"""Pairs that are relevant but no docking (techmatch.matcher.conflicts)."""

from __future__ import annotations

from techmatch.matcher.conflicts import conflict, name_key
from techmatch.models.records import Achievement, Expert, Need


def test_conflict_codes_both_directions_and_unknown_names() -> None:
    need = Need(id="n1", title="t", enterprise=" Acme Ltd ")
    own = Achievement(id="a1", title="t", institution="acme ltd")
    other = Achievement(id="a2", title="t", institution="Uni")
    staff = Expert(id="e1", name="x", organization="ACME LTD")
    shy = Expert(id="e2", name="y", organization="Uni", exclusions=["Beta", "acme ltd"])
    free = Expert(id="e3", name="z", organization="Uni", exclusions=["Beta"])
    assert conflict(need, own) == conflict(own, need) == "own_result"
    assert conflict(need, other) is None and conflict(other, need) is None
    assert (conflict(need, staff), conflict(need, shy), conflict(need, free)) == (
        "same_organization", "excluded", None)
    anonymous = Need(id="n2", title="t")  # no enterprise: nothing to conflict with
    nameless = Achievement(id="a3", title="t")
    assert conflict(anonymous, nameless) is None and conflict(need, nameless) is None
    assert conflict(None, own) is None and conflict(own, other) is None
    assert name_key(None) == name_key("  ") == ""
    # one organisation written in traditional / full-width characters is still one
    taiwan = Need(id="n4", title="t", enterprise="蘇州台聯電子化學品有限公司")
    assert conflict(taiwan, Achievement(id="a4", title="t",
                                        institution="苏州台联电子化学品有限公司")) == "own_result"
    assert conflict(need, Expert(id="e4", name="w", organization="ＡＣＭＥ  ＬＴＤ")) == (
        "same_organization")


def test_routing_reads_only_hits_that_can_dock() -> None:
    from techmatch.matcher.service import FILTERED_MESSAGE, ROUTE_MESSAGE, route
    from techmatch.models.results import Hit

    def hit(i: int, confidence: float | None, clash: str | None = None) -> Hit:
        return Hit(id=f"a{i}", kind="achievement", score=1.0, rank=i,
                   confidence=confidence, conflict=clash)  # type: ignore[arg-type]

    # (routed, message, code). An empty list is abstention only when no filter emptied it:
    # this test pinned (True, 没有足够好的匹配…) for every empty list, filtered or not.
    abstain = (True, ROUTE_MESSAGE, "no_good_match")
    assert route([], 0.35) == abstain
    assert route([], 0.35, filtered=True) == (False, FILTERED_MESSAGE, "no_filter_match")
    assert route([hit(1, 0.2)], 0.35, filtered=True) == abstain
    assert route([hit(1, 0.9), hit(2, 0.1)], 0.35) == (False, None, None)
    assert route([hit(1, 0.2), hit(2, None)], 0.35) == abstain
    assert route([hit(1, 0.9, "own_result"), hit(2, 0.5)], 0.35) == (False, None, None)
    assert route([hit(1, 0.9, "own_result"), hit(2, 0.2)], 0.35) == (
        True, "可信的候选均不宜对接（需求企业自有成果），请转人工处理", "only_conflicted")
    assert route([hit(1, 0.2, "excluded"), hit(2, 0.1)], 0.35) == abstain
