"""An id typed in `POST /v1/search` (live HTTP): the record comes first, marked `named` with
`match_by` id (编号一致), the answer is not routed to staff — as the console's search box
finds it (techmatch.matcher.names.id_key: Ｎ０１６ or n016 is N016). Before, the API gave a
semantic list for ach-eddy and routed it. Filters and confidentiality still apply."""

from __future__ import annotations

import httpx
from api_support import KEYS, SECRET_NEED


def _search(url: str, kind: str, text: str, key: str = "read",
            **extra: object) -> dict[str, object]:
    found = httpx.post(f"{url}/v1/search", headers={"X-API-Key": KEYS[key]}, timeout=60,
                       json={"kind": kind, "text": text, "k": 10, **extra})
    assert found.status_code == 200, found.text
    body: dict[str, object] = found.json()
    return body


def test_an_id_typed_finds_its_record_first_and_is_not_routed(live_server: str) -> None:
    for text in ("ach-ozone", " ＡＣＨ－ＯＺＯＮＥ ", "Ach-Ozone"):  # folded, any case
        body = _search(live_server, "achievement", text)
        hits = body["hits"]
        assert isinstance(hits, list) and hits[0]["id"] == "ach-ozone", (text, hits)
        top = hits[0]
        assert top["named"] is True and top["match_by"] == "id"
        assert top["match_by_label"] == "编号一致"
        assert [h["id"] for h in hits if h["match_by"] == "id"] == ["ach-ozone"]
        assert body["routed_to_staff"] is False


def test_an_id_is_not_routed_for_want_of_a_semantic_match(live_server: str) -> None:
    for kind, rid in (("achievement", "ach-eddy"), ("need", "need-water")):
        body = _search(live_server, kind, rid.upper())
        assert body["hits"][0]["id"] == rid  # type: ignore[index]
        assert body["routed_to_staff"] is False and body["message_code"] == "id_match", body
        assert body["message"] == ("按编号找到：列在最前的记录编号与检索词一致（编号一致），"
                                   "其余仅按相关度列出")


def test_a_name_hit_says_match_by_name(live_server: str) -> None:
    hits = _search(live_server, "expert", "李明")["hits"]
    assert isinstance(hits, list) and hits[0]["id"] == "exp-ndt"
    assert hits[0]["match_by"] == "name" and hits[0]["match_by_label"] == "名称一致"
    assert all(h["match_by"] is None for h in hits[1:])


def test_an_id_of_another_kind_or_filtered_out_is_not_listed(live_server: str) -> None:
    body = _search(live_server, "expert", "ach-ozone")  # an achievement's id: no expert
    assert not any(h["match_by"] == "id" for h in body["hits"])  # type: ignore[union-attr]
    body = _search(live_server, "achievement", "ach-ozone",
                   filters={"province": ["北京"]})  # ach-ozone is in 浙江
    assert "ach-ozone" not in [h["id"] for h in body["hits"]]  # type: ignore[union-attr]
    body = _search(live_server, "need", SECRET_NEED)  # the read key never sees it
    assert SECRET_NEED not in [h["id"] for h in body["hits"]]  # type: ignore[union-attr]
    body = _search(live_server, "need", SECRET_NEED, key="admin")
    assert body["hits"][0]["id"] == SECRET_NEED  # type: ignore[index]
