"""A search or match whose filters leave no candidate answered like an abstention
(routed_to_staff, 没有足够好的匹配，请转人工处理); it now says 没有符合筛选条件的记录 with the
code no_filter_match, and an abstention keeps no_good_match."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

R = headers("read")


def test_filters_that_leave_nothing_say_so(client: TestClient) -> None:
    search = client.post("/v1/search", headers=R, json={
        "kind": "achievement", "text": "叶片 裂纹 检测", "filters": {"city": ["拉萨"]}}).json()
    match = client.post("/v1/match/need", headers=R, json={
        "need": {"title": "锂电池热失控预警"}, "target": "achievement",
        "filters": {"industry": ["家政服务"]}}).json()
    for body in (search, match):
        assert body["hits"] == []
        assert body["message_code"] == "no_filter_match"
        assert body["message"] == "没有符合筛选条件的记录，请放宽筛选条件"
        assert body["routed_to_staff"] is False


def test_an_abstention_keeps_its_wording_and_code(client: TestClient) -> None:
    body = client.post("/v1/search", headers=R, json={
        "kind": "achievement", "text": "量子计算机 芯片封装", "k": 10}).json()
    assert body["hits"] and body["routed_to_staff"] is True
    assert (body["message_code"], body["message"]) == ("no_good_match",
                                                       "没有足够好的匹配，请转人工处理")
