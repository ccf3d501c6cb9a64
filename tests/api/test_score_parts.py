"""A hit's score equals its explanation's intercept plus the sum of its contributions, for
every route and kind: an expert's score read 0.68 beside contributions summing to 2.53 (the
model's constant −1.85 was nowhere in the JSON), so a client could not reconstruct it."""

from __future__ import annotations

import httpx
import pytest
from api_support import headers


def _check(ranking: dict) -> int:  # type: ignore[type-arg]
    for hit in ranking["hits"]:
        exp = hit["explanation"]
        total = sum(c["contribution"] for c in exp["contributions"])
        assert exp["intercept"] + total == pytest.approx(hit["score"], abs=1e-9), hit["id"]
    return len(ranking["hits"])


def test_every_score_is_intercept_plus_contributions(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60, headers=headers("read")) as client:
        answers = [client.post("/v1/search", json={"kind": kind, "text": "锂电池热失控预警"})
                   for kind in ("achievement", "expert", "need")]
        answers += [client.get("/v1/match/needs/need-battery", params={"target": target,
                                                                        "prefer_local": True})
                    for target in ("achievement", "expert")]
        answers.append(client.get("/v1/match/achievements/ach-bms/needs"))
    checked = [_check(a.json()) for a in answers]
    assert all(n > 0 for n in checked), checked
    experts = answers[1].json()["hits"]
    assert experts[0]["explanation"]["intercept"] != 0.0  # the expert model has a constant
