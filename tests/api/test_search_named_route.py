"""A name typed in `POST /v1/search` (live HTTP): the record it names comes first, marked
`named`, and the answer is not routed to staff for lack of a confident semantic match —
李明 found 李明 (exp-ndt) and still said 没有足够好的匹配，请转人工处理."""

from __future__ import annotations

import httpx
from api_support import KEYS


def _search(url: str, kind: str, text: str) -> dict[str, object]:
    found = httpx.post(f"{url}/v1/search", headers={"X-API-Key": KEYS["read"]}, timeout=60,
                       json={"kind": kind, "text": text, "k": 10})
    assert found.status_code == 200, found.text
    body: dict[str, object] = found.json()
    return body


def test_a_name_typed_finds_its_record_and_is_not_routed(live_server: str) -> None:
    body = _search(live_server, "expert", "李明")
    hits = body["hits"]
    assert isinstance(hits, list) and hits[0]["id"] == "exp-ndt" and hits[0]["named"] is True
    assert [h["id"] for h in hits if h["named"]] == ["exp-ndt"]
    assert body["routed_to_staff"] is False and body["message_code"] == "named_match"
    assert body["message"] == ("按名称找到：列在前面的记录名称与检索词一致（名称一致），"
                               "其余仅按相关度列出")


def test_a_text_naming_nothing_routes_as_before(live_server: str) -> None:
    body = _search(live_server, "expert", "量子计算机 芯片封装")
    assert not any(h["named"] for h in body["hits"])  # type: ignore[union-attr]
    assert body["routed_to_staff"] is True and body["message_code"] == "no_good_match"
