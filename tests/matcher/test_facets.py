"""Facet normalisation cache: same values as normalising directly, computed once per value."""

from __future__ import annotations

from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher import facets
from techmatch.matcher.features import disciplines, facet_set, industries, region
from techmatch.models.records import Achievement, Expert, Need


def test_values_match_direct_normalisation() -> None:
    assert facet_set("化學/化學工程、材料") == frozenset({"化学", "化学工程", "材料"})
    assert facet_set(["ＡＩ", None, "", "蘇州"]) == frozenset({"ai", "苏州"})  # type: ignore[list-item]
    assert facet_set(None) == frozenset()
    assert facets.normalized("蘇州") == normalize("蘇州") == "苏州"


def test_each_distinct_value_is_normalised_once() -> None:
    a = Achievement(id="a1", title="t", discipline="機械工程/材料", city="蘇州")
    b = Achievement(id="a2", title="u", discipline="機械工程/材料", city="蘇州")
    before = facets.facet_values.cache_info()
    assert disciplines(a) == disciplines(b) == frozenset({"机械工程", "材料"})
    after = facets.facet_values.cache_info()
    assert after.hits - before.hits >= 1 and after.misses - before.misses <= 1


def test_features_use_the_cached_values() -> None:
    need = Need(id="n1", title="x", city="苏州", province="江苏")
    same_city = Achievement(id="a1", title="y", city="蘇州")
    same_province = Achievement(id="a2", title="z", city="南京", province="江蘇")
    assert region(need, same_city) == 1.0
    assert region(need, same_province) == 0.5
    expert = Expert(id="e1", name="王", industries=["新材料", "新能源"])
    assert industries(expert) == frozenset({"新材料", "新能源"})
