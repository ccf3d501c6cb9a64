"""A read key cannot tell a confidential need from an id that does not exist: every path that
takes a need id answers both alike. GET /v1/feedback?query_id=<confidential> answered 404
while an unknown id answered 200 with an empty page, so probing ids listed the confidential
needs."""

from __future__ import annotations

import pytest
from api_support import SECRET_NEED, headers
from fastapi.testclient import TestClient

UNKNOWN = "need-nobody"
PATHS = ["/v1/feedback?query_id={}", "/v1/feedback?candidate_id={}", "/v1/dockings?need_id={}",
         "/v1/needs/{}", "/v1/match/needs/{}", "/v1/batch/results/{}",
         "/v1/batch/excluded/{}"]


@pytest.mark.parametrize("path", PATHS)
def test_confidential_need_reads_like_an_unknown_id(client: TestClient, path: str) -> None:
    body = {"query_id": SECRET_NEED, "candidate_id": "ach-bms", "label": "contacted"}
    assert client.post("/v1/feedback", json=body, headers=headers("write")).status_code == 201
    secret = client.get(path.format(SECRET_NEED), headers=headers("read"))
    unknown = client.get(path.format(UNKNOWN), headers=headers("read"))
    assert (secret.status_code, secret.text.replace(SECRET_NEED, "ID")) == \
        (unknown.status_code, unknown.text.replace(UNKNOWN, "ID"))
