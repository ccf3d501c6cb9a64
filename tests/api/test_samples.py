"""The API over the real engine on data/samples: records, search and match paths."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from api_support import API_KEYS, close_engine, headers, wait_ready
from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.cli.demo import SAMPLES, load_samples
from techmatch.config import Settings
from techmatch.eval.datasets import read_qrels
from techmatch.indexers.encoders import Encoder
from techmatch.matcher.engine import Engine

FILES = {"need": "needs.jsonl", "achievement": "achievements.jsonl", "expert": "experts.jsonl"}
pytestmark = pytest.mark.slow  # encodes the ~210 sample records once (~10 s)


def _samples(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / name).read_text("utf-8").splitlines()
            if line.strip()]


@pytest.fixture(scope="module")
def samples_client(tmp_path_factory: pytest.TempPathFactory,
                   encoder: Encoder) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path_factory.mktemp("samples") / "home", threads=1,
                        api_keys=API_KEYS)
    engine = Engine.open(settings, encoder=encoder)
    load_samples(engine)
    engine.sync()
    with TestClient(create_app(settings, engine=engine)) as client:
        wait_ready(client)
        yield client
    close_engine(engine)


def test_records_paths_on_samples(samples_client: TestClient) -> None:
    needs = _samples(FILES["need"])
    page = samples_client.get("/v1/needs?limit=200", headers=headers("write")).json()
    assert page["total"] == len(needs)
    public = sum(not n.get("confidential") for n in needs)
    assert samples_client.get("/v1/needs?limit=200", headers=headers("read")).json()["total"] \
        == public < len(needs)
    first = needs[0]
    got = samples_client.get(f"/v1/needs/{first['id']}", headers=headers("write")).json()
    assert got["title"] == first["title"]


def test_match_on_samples_finds_labelled_achievements(samples_client: TestClient) -> None:
    qrels = read_qrels(SAMPLES / "qrels.tsv")
    found = 0
    for qid in sorted(qrels)[:10]:
        ranking = samples_client.get(f"/v1/match/needs/{qid}?k=10",
                                     headers=headers("write")).json()
        assert ranking["generation"] and ranking["hits"][0]["explanation"] is not None
        found += bool({h["id"] for h in ranking["hits"]} & set(qrels[qid]))
    assert found >= 8  # a labelled achievement in the top 10 for most needs


def test_search_and_reverse_match_hide_confidential_needs_on_samples(
        samples_client: TestClient) -> None:
    secret = [n for n in _samples(FILES["need"]) if n.get("confidential")]
    for need in secret:
        body = {"kind": "need", "text": need["title"], "k": 20}
        read = samples_client.post("/v1/search", json=body, headers=headers("read")).json()
        write = samples_client.post("/v1/search", json=body, headers=headers("write")).json()
        assert need["id"] not in [h["id"] for h in read["hits"]]
        assert write["hits"][0]["id"] == need["id"]
        for hit in read["hits"]:
            assert "contact" not in (hit["record"] or {})
    achievements = _samples(FILES["achievement"])[:5]
    secret_ids = {n["id"] for n in secret}
    for ach in achievements:
        ranking = samples_client.get(f"/v1/match/achievements/{ach['id']}/needs?k=50",
                                     headers=headers("read")).json()
        assert not secret_ids & {h["id"] for h in ranking["hits"]}
