"""A stored need (or achievement) with no letter, digit or CJK character has nothing to match
by: like the ad-hoc match and search, the match routes answer 422 naming it. A need titled
'！！！' was matched to an expert at confidence 0.84 (routed_to_staff false) on the samples."""

from __future__ import annotations

import httpx
from api_support import headers


def test_matching_a_stored_record_without_text_is_422(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for path, body in (("/v1/needs", {"id": "need-bang", "title": "！！！"}),
                           ("/v1/achievements", {"id": "ach-bang", "title": "——"})):
            done = client.post(path, json=body, headers=headers("write"),
                               params={"wait": "true"})
            assert done.status_code == 200, done.text
        answers = {target: client.get("/v1/match/needs/need-bang", headers=headers("read"),
                                      params={"target": target})
                   for target in ("achievement", "expert")}
        answers["need"] = client.get("/v1/match/achievements/ach-bang/needs",
                                     headers=headers("read"))
        fine = client.get("/v1/match/needs/need-blade", headers=headers("read"))
    for target, answer in answers.items():
        assert answer.status_code == 422, (target, answer.text)
        error = answer.json()["errors"][0]
        assert error["field"] == ("path.achievement_id" if target == "need" else "path.need_id")
        assert error["message"] == (f"{'成果 ach-bang' if target == 'need' else '需求 need-bang'}"
                                    " 没有可用于匹配的文字：标题、描述或摘要、关键词中没有字母、"
                                    "数字或汉字")
    assert fine.status_code == 200 and fine.json()["hits"]


def test_require_local_without_a_place_names_the_parameter(live_server: str) -> None:
    """The 422 named field 'require_local' (no location), where every other error of the API
    names query.<name> or body.<name>."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        done = client.post("/v1/needs", json={"id": "need-nowhere", "title": "锂电池热失控预警"},
                           headers=headers("write"), params={"wait": "true"})
        assert done.status_code == 200, done.text
        stored = client.get("/v1/match/needs/need-nowhere", headers=headers("read"),
                            params={"require_local": True})
        adhoc = client.post("/v1/match/need", headers=headers("read"), json={
            "need": {"title": "锂电池热失控预警"}, "require_local": True})
    assert stored.status_code == 422 and adhoc.status_code == 422
    assert stored.json()["errors"][0]["field"] == "query.require_local"
    assert adhoc.json()["errors"][0]["field"] == "body.require_local"
