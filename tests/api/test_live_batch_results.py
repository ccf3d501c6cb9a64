"""What staff do shows on the 工作台 / 覆盖分析 at once, not after the next nightly batch.

Both pages read the stored batch results. Before, a pair rejected as not relevant stayed
there (the need kept its old best confidence), a need posted was 未计算 and an edited need
kept the ranking of its old text until the next batch. Now the action re-matches that one
need with the batch's own code (techmatch.matcher.batch.live) and replaces its stored rows:
they equal what matching the need alone returns, as the batch's rows do."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_support import console_login, headers
from fastapi.testclient import TestClient

from techmatch.matcher.batch.run import BatchOptions, run_batch
from techmatch.matcher.engine import Engine

W, A = headers("write"), headers("admin")
K = 3
HTML = {"accept": "text/html"}


def _batch(engine: Engine) -> None:
    # threshold 1.0: every open need is on the 工作台's 无合适匹配 list with its best confidence
    engine.settings.confidence_threshold = 1.0
    run_batch(engine, BatchOptions(k=K, explain=False, workers=1))


def _stored(client: TestClient, need: str, kind: str = "achievement") -> list[tuple[str, float]]:
    hits = client.get(f"/v1/batch/results/{need}", headers=W).json()
    return [(h["candidate_id"], round(h["confidence"], 6)) for h in hits if h["kind"] == kind]


def _alone(client: TestClient, need: str, kind: str = "achievement") -> list[tuple[str, float]]:
    found = client.get(f"/v1/match/needs/{need}?target={kind}&k={K}&explain=false", headers=W)
    assert found.status_code == 200, found.text
    return [(h["id"], round(h["confidence"], 6)) for h in found.json()["hits"]]


def _equal(got: list[tuple[str, float]], expected: list[tuple[str, float]]) -> bool:
    """Same candidates in the same order, confidences within 1e-6 (as the batch identity
    test compares them)."""
    return [c for c, _ in got] == [c for c, _ in expected] and all(
        abs(a - b) <= 1e-6 for (_, a), (_, b) in zip(got, expected, strict=True))


def _same(client: TestClient, need: str) -> None:
    for kind in ("achievement", "expert"):
        assert _equal(_stored(client, need, kind), _alone(client, need, kind)), kind


def _board_row(client: TestClient, need: str) -> str | None:
    """The 最高置信度 cell of `need` on the 工作台 (None: not listed)."""
    page = client.get("/", headers=HTML).text
    row = re.search(rf'<a href="/needs/{re.escape(need)}">.*?</tr>', page, re.S)
    if row is None:
        return None
    cells = re.findall(r'<td class="num">(.*?)</td>', row.group(0), re.S)
    return cells[0].strip() if cells else None


def _best(client: TestClient, need: str) -> str:
    """The 工作台's 最高置信度 of `need` from its stored rows: the best over both kinds."""
    found = [conf for kind in ("achievement", "expert") for _, conf in _stored(client, need, kind)]
    return "%.0f%%" % (max(found) * 100)


def test_a_rejection_shows_on_the_dashboard_at_once(client: TestClient, engine: Engine) -> None:
    _batch(engine)
    console_login(client, "write")
    before = _stored(client, "need-blade")
    assert len(before) >= 2 and _equal(before, _alone(client, "need-blade"))
    top = before[0][0]
    shown = _board_row(client, "need-blade")  # the rejected candidate is the need's best
    assert shown == _best(client, "need-blade") == "%.0f%%" % (before[0][1] * 100)
    made = client.post("/v1/feedback", headers=W, json={
        "query_id": "need-blade", "candidate_id": top, "label": "rejected",
        "reason": "not_relevant"})
    assert made.status_code == 201, made.text
    after = _stored(client, "need-blade")
    assert top not in {c for c, _ in after}  # the rejected pair left the stored results
    _same(client, "need-blade")
    assert _board_row(client, "need-blade") == _best(client, "need-blade") != shown


def test_a_board_drop_and_an_import_refresh_the_need(client: TestClient,
                                                     engine: Engine) -> None:
    _batch(engine)
    before = _stored(client, "need-battery")
    top = before[0][0]
    made = client.post("/v1/dockings", headers=W,
                       json={"need_id": "need-battery", "candidate_id": top})
    assert made.status_code == 201, made.text
    assert _stored(client, "need-battery")[0][0] == top  # a docking at 推荐 changes nothing
    moved = client.post(f"/v1/dockings/{made.json()['id']}/moves", headers=W, json={
        "to": "dropped", "version": 1, "reason": "not_relevant"})
    assert moved.status_code == 200, moved.text
    assert top not in {c for c, _ in _stored(client, "need-battery")}
    _same(client, "need-battery")
    # the pair reopened (an admin's move back to 推荐): a candidate again, at once
    reopened = client.post(f"/v1/dockings/{made.json()['id']}/moves", headers=A,
                           json={"to": "suggested", "version": 2})
    assert reopened.status_code == 200, reopened.text
    assert _equal(_stored(client, "need-battery"), before)
    blade_top = _stored(client, "need-blade")[0][0]
    ledger = f"需求编号,候选编号,阶段,终止原因\nneed-blade,{blade_top},终止,不相关\n"
    imported = client.post("/v1/dockings/import", headers=W,
                           files={"file": ("台账.csv", ledger.encode(), "text/csv")})
    assert imported.status_code == 200, imported.text
    assert blade_top not in {c for c, _ in _stored(client, "need-blade")}
    _same(client, "need-blade")


def _need(need_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": need_id, "title": "航空发动机叶片表面裂纹的涡流检测",
            "description": "镍基高温合金叶片表面微裂纹，需要快速无损检测。",
            "industry": "航空航天", "province": "江苏", "city": "苏州", **fields}


def test_a_posted_or_edited_need_is_matched_at_once(client: TestClient,
                                                    engine: Engine) -> None:
    _batch(engine)
    console_login(client, "write")
    posted = client.post("/v1/needs", headers=W, json=_need("need-new"))
    assert posted.status_code in (200, 201), posted.text
    assert _stored(client, "need-new")  # was 未计算 until the next batch
    _same(client, "need-new")
    assert _board_row(client, "need-new") == _best(client, "need-new")
    edited = client.put("/v1/needs/need-new", headers=W, json=_need(
        "need-new", title="印染废水深度处理与回用", description="印染废水色度高、难降解。",
        industry="纺织"))
    assert edited.status_code == 200, edited.text
    _same(client, "need-new")  # the ranking of the new text, not of the old one
    assert _stored(client, "need-new")[0][0] == "ach-ozone"


def test_a_closed_need_leaves_the_open_lists_at_once(client: TestClient,
                                                     engine: Engine) -> None:
    _batch(engine)
    console_login(client, "write")
    page = client.get("/", headers=HTML).text
    count = int(re.search(r'id="open-needs">(\d+)<', page).group(1))  # type: ignore[union-attr]
    top = _stored(client, "need-blade")[0][0]
    made = client.post("/v1/feedback", headers=W, json={
        "query_id": "need-blade", "candidate_id": top, "label": "rejected",
        "reason": "already_solved"})
    assert made.status_code == 201 and made.json()["need_status"] == "closed"
    page = client.get("/", headers=HTML).text
    assert f'id="open-needs">{count - 1}<' in page and _board_row(client, "need-blade") is None
    coverage = client.get("/coverage", headers=HTML).text
    assert "need-battery" in coverage and "need-blade" not in coverage
    # reopened by editing its status back: listed again, with what matching it gives now
    need = client.get("/v1/needs/need-blade", headers=W).json()
    put = client.put("/v1/needs/need-blade", headers=W, json={
        **{k: need[k] for k in ("id", "title", "description", "city")}, "status": "open"})
    assert put.status_code == 200, put.text
    assert _board_row(client, "need-blade") is not None
    _same(client, "need-blade")


def test_many_needs_at_once_are_shown_as_not_computed_past_the_limit(
        client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upload of hundreds of needs is not matched in the request: past the limit their
    stale rows are dropped, so the pages say 未计算 (until the batch), not an old ranking."""
    _batch(engine)
    console_login(client, "write")
    monkeypatch.setattr("techmatch.matcher.batch.live.LIVE_LIMIT", 1)
    body = {"records": [_need("need-a"), _need("need-blade", title="印染废水深度处理")]}
    done = client.post("/v1/needs/batch", headers=W, json=body)
    assert done.status_code == 200, done.text
    assert _stored(client, "need-a") and _stored(client, "need-blade") == []
    _same(client, "need-a")
    assert _board_row(client, "need-blade") == "未计算"
    run_batch(engine, BatchOptions(k=K, explain=False, workers=1))  # the batch catches up
    _same(client, "need-blade")
