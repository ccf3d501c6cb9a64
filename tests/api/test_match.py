"""Search and match over the real engine: explained, confident hits with their generation."""

from __future__ import annotations

import re

from api_support import headers
from fastapi.testclient import TestClient

from techmatch.models.signals import SIGNAL_LABELS

R = headers("read")


def _ids(ranking: dict) -> list[str]:
    return [h["id"] for h in ranking["hits"]]


def test_search_returns_explained_hits(client: TestClient) -> None:
    ranking = client.post("/v1/search", json={"kind": "achievement", "text": "叶片 裂纹 检测"},
                          headers=R).json()
    assert ranking["generation"] == "gen-1" and ranking["kind"] == "achievement"
    top = ranking["hits"][0]
    assert top["id"] == "ach-eddy" and 0.0 <= top["confidence"] <= 1.0
    assert {t["term"] for t in top["explanation"]["matched_terms"]} & {"裂纹", "检测"}


def test_search_filters_apply(client: TestClient) -> None:
    body = {"kind": "achievement", "text": "检测", "filters": {"language": ["en"]}}
    assert _ids(client.post("/v1/search", json=body, headers=R).json()) == ["ach-paper"]


def test_search_without_explanations(client: TestClient) -> None:
    body = {"kind": "need", "text": "废水处理", "explain": False, "k": 1}
    hits = client.post("/v1/search", json=body, headers=R).json()["hits"]
    assert len(hits) == 1 and hits[0]["id"] == "need-water" and hits[0]["explanation"] is None


def test_match_stored_need_to_achievements_and_experts(client: TestClient) -> None:
    achievements = client.get("/v1/match/needs/need-blade?k=3", headers=R).json()
    assert achievements["hits"][0]["id"] == "ach-eddy" and achievements["generation"]
    assert achievements["hits"][0]["explanation"]["contributions"]
    experts = client.get("/v1/match/needs/need-battery?target=expert", headers=R).json()
    assert experts["kind"] == "expert" and experts["hits"][0]["id"] == "exp-battery"
    # every signal keeps its stable code and carries its Chinese label beside it
    for ranking in (achievements, experts):
        for hit in ranking["hits"]:
            for c in hit["explanation"]["contributions"]:
                assert c["label"] == SIGNAL_LABELS[c["name"]], c
                assert re.search(r"[\u4e00-\u9fff]", c["label"]), c


def test_match_adhoc_need(client: TestClient) -> None:
    body = {"need": {"title": "印染废水脱色", "description": "需要降低废水色度并回用"},
            "target": "achievement", "k": 2}
    ranking = client.post("/v1/match/need", json=body, headers=R).json()
    assert ranking["hits"][0]["id"] == "ach-ozone" and len(ranking["hits"]) <= 2


def test_match_achievement_to_needs(client: TestClient) -> None:
    ranking = client.get("/v1/match/achievements/ach-ozone/needs", headers=R).json()
    assert ranking["kind"] == "need" and ranking["hits"][0]["id"] == "need-water"


def test_unknown_ids_are_404(client: TestClient) -> None:
    for path in ("/v1/match/needs/nope", "/v1/match/achievements/nope/needs",
                 "/v1/match/needs/ach-eddy"):
        response = client.get(path, headers=R)
        assert response.status_code == 404 and response.json()["type"].endswith("not-found")
