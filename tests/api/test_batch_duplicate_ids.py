"""POST /v1/{kind}s/batch with one id twice: a 422 naming the second record's id, nothing
written — as for any invalid record of a batch.

Before, both were written in order in the one transaction: the answer listed the id under
`inserted` and again under `updated`, the first record was silently replaced by the second
(two versions in the change log), and the client was told nothing. Ids are compared as they
are stored (full-width Ｂ１ is B1).
"""

from __future__ import annotations

import pytest
from api_support import headers
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine


@pytest.mark.parametrize("second", ["need-dup", "ｎｅｅｄ-ｄｕｐ "])
def test_a_batch_holding_one_id_twice_is_refused(client: TestClient, engine: Engine,
                                                 second: str) -> None:
    seq = engine.store.last_seq("need")
    r = client.post("/v1/needs/batch", headers=headers("write"), json={"records": [
        {"id": "need-dup", "title": "印染废水深度处理"},
        {"id": "need-other", "title": "注塑件缩痕"},
        {"id": second, "title": "锂电池热失控预警"}]})
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("body.records.2.id", "invalid")]
    assert errors[0]["message"] == ("编号 need-dup 在本批中重复（与 records.0 相同）；"
                                    "每个编号只能出现一次")
    assert client.get("/v1/needs/need-dup", headers=headers("read")).status_code == 404
    assert client.get("/v1/needs/need-other", headers=headers("read")).status_code == 404
    assert engine.store.last_seq("need") == seq
