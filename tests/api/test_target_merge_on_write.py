"""Targets stored in two writings of one city (蘇州 / 苏州, by code older than 104d22b) are
merged once per store (16100be) — by the first write, never by a read: the GETs of the API
and the console answer as the merge will leave the store (the newest writing) and write
nothing; the first PUT merges and records it."""

from __future__ import annotations

import pytest
from api_support import console_login, headers
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine
from techmatch.matcher.programme import targets
from techmatch.store import programme as programme_store
from techmatch.store.programme import ProgrammeRepo, TargetRow


def _rows(engine: Engine) -> set[tuple[int, str, str, float]]:
    return {(r.year, r.city, r.metric, r.value) for r in ProgrammeRepo(engine.store).targets()}


def test_gets_never_write_and_the_first_put_merges(client: TestClient, engine: Engine,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo = ProgrammeRepo(engine.store)
    for city, value, at in (("蘇州", 4.0, "2026-11-20T08:00:00+00:00"),
                            ("苏州", 6.0, "2026-11-25T08:00:00+00:00")):  # newer: kept
        monkeypatch.setattr(programme_store, "_now", lambda at=at: at)
        repo.set_targets([TargetRow(2026, city, "events", value)])
    monkeypatch.undo()
    stored = _rows(engine)
    assert stored == {(2026, "蘇州", "events", 4.0), (2026, "苏州", "events", 6.0)}

    read = headers("read")
    found = client.get("/v1/programme/targets", headers=read)
    assert found.status_code == 200, found.text
    assert [(t["city"], t["value"]) for t in found.json()] == [("苏州", 6.0)]
    board = client.get("/v1/programme/dashboard", headers=read,
                       params={"start": "2026-01-01", "end": "2026-12-31", "city": "苏州"})
    assert board.status_code == 200, board.text
    console_login(client, "read")
    page = client.get("/programme", params={"start": "2026-01-01", "end": "2026-12-31"},
                      headers={"accept": "text/html"})
    assert page.status_code == 200, page.text[:300]
    assert _rows(engine) == stored  # no GET merged
    assert engine.store.get_meta(targets.MERGED_KEY) is None

    put = client.put("/v1/programme/targets", headers=headers("write"),
                     json=[{"year": 2027, "city": "全国", "metric": "events", "value": 9}])
    assert put.status_code == 200, put.text
    assert _rows(engine) == {(2026, "苏州", "events", 6.0), (2027, "全国", "events", 9.0)}
    assert engine.store.get_meta(targets.MERGED_KEY) is not None
