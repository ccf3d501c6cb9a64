"""Search filters are checked against the kind searched: a facet the kind has no value for
(status on achievements, type on needs) or an unknown code is a 422 naming the filter, not
an empty ranking a client reads as "nothing relevant"."""

from __future__ import annotations

import httpx
import pytest
from api_support import headers


@pytest.mark.parametrize("kind, filters, field, named", [
    ("achievement", {"status": ["open"]}, "body.filters.status", "成果记录没有筛选条件 status"),
    ("need", {"type": ["patent"]}, "body.filters.type", "需求记录没有筛选条件 type"),
    ("need", {"language": ["zh"]}, "body.filters.language", "需求记录没有筛选条件 language"),
    ("need", {"status": ["opened"]}, "body.filters.status", "status 没有取值 'opened'；可选："),
    ("achievement", {"type": ["patent", "专利"]}, "body.filters.type", "专利"),
    ("achievement", {"language": ["cn"]}, "body.filters.language", "cn"),
])
def test_a_filter_the_kind_cannot_match_is_422(live_server: str, kind: str,
                                               filters: dict[str, list[str]], field: str,
                                               named: str) -> None:
    """`{"kind": "achievement", "filters": {"status": ["open"]}}` answered 200 with no hits."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        response = client.post("/v1/search", headers=headers("read"), json={
            "kind": kind, "text": "锂电池 热失控", "filters": filters})
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == field
    assert named in error["message"]


def test_valid_filters_of_each_kind_still_search(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        patents = client.post("/v1/search", headers=headers("read"), json={
            "kind": "achievement", "text": "锂电池 热失控", "filters": {"type": ["patent"]}})
        needs = client.post("/v1/search", headers=headers("read"), json={
            "kind": "need", "text": "锂电池 热失控", "filters": {"status": ["open"]}})
        experts = client.post("/v1/search", headers=headers("read"), json={
            "kind": "expert", "text": "锂电池 热失控", "filters": {"discipline": ["电化学"]}})
    assert [h["id"] for h in patents.json()["hits"]] == ["ach-bms"]
    assert "need-battery" in [h["id"] for h in needs.json()["hits"]]
    assert [h["id"] for h in experts.json()["hits"]] == ["exp-battery"]


def test_an_adhoc_match_checks_its_filters_against_the_target(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        response = client.post("/v1/match/need", headers=headers("read"), json={
            "need": {"title": "锂电池热失控预警"}, "target": "expert",
            "filters": {"type": ["patent"]}})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.filters.type"


def test_a_blank_filter_value_is_422(live_server: str) -> None:
    """`{"city": ["  "]}` matched no record (no city is blank) and answered 200 with no hits."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        response = client.post("/v1/search", headers=headers("read"), json={
            "kind": "achievement", "text": "锂电池 热失控", "filters": {"city": ["深圳", " \t"]}})
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == "body.filters.city.1"
    assert error["message"] == "空白的取值匹配不到任何记录"
