"""Ids typed with a Chinese input method (full-width Ｎ９０１) were stored as new records when
written through the API, while `techmatch ingest` and the 需求录入 form read them NFKC
(N901): the same need ended up twice. The API now reads record ids, path ids and the id
lists (owners, works) as ingest does."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine


def test_api_writes_fold_full_width_ids_as_ingest_does(client: TestClient,
                                                       engine: Engine) -> None:
    write = headers("write")
    made = client.post("/v1/needs", json={"id": "Ｎ９０１ ", "title": "叶片裂纹的无损检测"},
                       headers=write)
    assert made.status_code == 200, made.text
    assert made.json()["id"] == "N901"
    again = client.put("/v1/needs/Ｎ９０１", json={"id": "Ｎ９０１", "title": "叶片裂纹检测"},
                       headers=write)
    assert again.status_code == 200, again.text
    batch = client.post("/v1/experts/batch", headers=write, json={"records": [
        {"id": "Ｅ９０１", "name": "李明", "works": ["ａｃｈ-ｅｄｄｙ"]}]})
    assert batch.status_code == 200, batch.text
    assert engine.store.count("need") == 5  # the tiny home's 4 + N901, not also Ｎ９０１
    assert engine.store.get("N901").title == "叶片裂纹检测"
    assert engine.store.get("E901").works == ["ach-eddy"]
    got = client.get("/v1/needs/Ｎ９０１", headers=headers("read"))
    assert got.status_code == 200 and got.json()["id"] == "N901"
    assert client.delete("/v1/needs/Ｎ９０１", headers=write).status_code == 200
    assert engine.store.count("need") == 4


def test_ids_typed_full_width_find_the_record_in_match_dockings_and_feedback(
        client: TestClient) -> None:
    """After the records API, the routes that name a stored record: a full-width id answered
    404 (match) or 404 / 422 (dockings, feedback) although ingest had stored it folded."""
    need, cand = "ｎｅｅｄ-ｂｌａｄｅ", "ａｃｈ-ｅｄｄｙ"
    match = client.get(f"/v1/match/needs/{need}?target=achievement&k=2",
                       headers=headers("read"))
    assert match.status_code == 200, match.text
    made = client.post("/v1/dockings", json={"need_id": need, "candidate_id": cand},
                       headers=headers("write"))
    assert made.status_code in (200, 201), made.text
    assert (made.json()["need_id"], made.json()["candidate_id"]) == ("need-blade", "ach-eddy")
    judged = client.post("/v1/feedback", json={"query_id": need, "candidate_id": cand,
                                               "label": "contacted"}, headers=headers("write"))
    assert judged.status_code in (200, 201), judged.text
    assert judged.json()["docking_id"] == made.json()["id"]
