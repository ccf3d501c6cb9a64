"""A server started on a home indexed by an earlier version (another index layout: the schema
version of today's facet and name fields) failed its start with 'run techmatch index --full'
and stayed unready, although its follower rebuilds such an index in full from the store, as
the README says. It now starts, rebuilds the old indexes from the store and becomes ready."""

from __future__ import annotations

import json

from api_support import headers, wait_ready
from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.indexers.base import SCHEMA_VERSION
from techmatch.indexers.embedded.generations import MANIFEST, current_folder, kind_dir
from techmatch.matcher.engine import Engine
from techmatch.models.records import KINDS


def _age(engine: Engine) -> dict[str, str]:
    """Mark every kind's current generation as built by the layout before this one."""
    old = {}
    for kind in KINDS:
        folder = current_folder(kind_dir(engine.settings, kind), kind)
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        manifest["schema_version"] = SCHEMA_VERSION - 1
        (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        old[kind] = folder.name
    return old


def test_a_server_on_an_older_index_layout_rebuilds_it_and_becomes_ready(engine: Engine) -> None:
    old = _age(engine)
    with TestClient(create_app(engine.settings, engine=engine)) as client:
        wait_ready(client, timeout=120)
        ready = client.get("/readyz", headers=headers("read")).json()
        assert ready["status"] == "ready", ready
        for kind in KINDS:
            assert ready["generations"][kind] not in (None, old[kind]), ready
        found = client.post("/v1/search", headers=headers("read"),
                            json={"text": "锂电池 热失控", "kind": "achievement"})
        assert found.status_code == 200 and found.json()["hits"], found.text
