"""List filters (`GET /v1/{kind}s?city=…`) read a value as search filters do: in any writing
(蘇州 is 苏州, full-width folded), and a filter given twice is any-of.

Before, a list compared the stored text exactly: `?city=苏州` left out a need written 蘇州 (one
the matcher, the KPIs and `POST /v1/search` all place in 苏州), and `?city=苏州&city=深圳`
silently kept only the last value — a page of 深圳 needs read as "the needs of both".
"""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine
from techmatch.models.records import Need


def _ids(client: TestClient, path: str, params: list[tuple[str, str]]) -> tuple[int, set[str]]:
    r = client.get(path, params=params, headers=headers("read"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return body["total"], {item["id"] for item in body["items"]}


def test_a_list_filter_matches_every_writing_of_its_value(client: TestClient,
                                                          engine: Engine) -> None:
    engine.store.upsert([
        Need(id="need-tw", title="鋰電池隔膜塗覆漿料分散", city="蘇州", province="江蘇"),
        Need(id="need-wide", title="注塑件缩痕", city="苏州", province="江苏",
             industry="新材料"),
        Need(id="need-ind", title="浆料", city="无锡", industry="新材料")])

    suzhou = {"need-blade", "need-tw", "need-wide"}
    assert _ids(client, "/v1/needs", [("city", "苏州")]) == (3, suzhou)
    assert _ids(client, "/v1/needs", [("city", "蘇州")]) == (3, suzhou)
    assert _ids(client, "/v1/needs", [("province", "江苏")]) == (3, suzhou)
    assert _ids(client, "/v1/needs", [("industry", "新材料")]) == (2, {"need-wide", "need-ind"})


def test_a_filter_given_twice_is_any_of(client: TestClient) -> None:
    assert _ids(client, "/v1/needs", [("city", "苏州"), ("city", "深圳")]) == (
        2, {"need-blade", "need-battery"})
    assert _ids(client, "/v1/achievements", [("type", "paper"), ("type", "patent")]) == (
        2, {"ach-paper", "ach-bms"})
    # values of different filters all apply
    assert _ids(client, "/v1/achievements",
                [("type", "paper"), ("type", "patent"), ("industry", "航空航天")]) == (
        1, {"ach-paper"})
    bad = client.get("/v1/needs", params=[("status", "open"), ("status", "opened")],
                     headers=headers("read"))
    assert bad.status_code == 422, bad.text
    assert bad.json()["errors"][0]["field"] == "query.status"
