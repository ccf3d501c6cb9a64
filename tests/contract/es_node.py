"""Helpers shared by the Elasticsearch tests: per-test index prefixes and a fault-injecting node.

The tests run against a real Elasticsearch node (tests/services/es_fixtures.py). The
`FaultyNode` transport lets a test see the requests the official client sends and replace one
bulk item's answer with a failure, for the paths a healthy node never takes on demand (a
mapping error in the middle of a reindex, say). Production code never uses it.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from elastic_transport import Urllib3HttpNode

_prefixes = itertools.count()


def unique_prefix() -> str:
    """An index prefix no other test (or earlier run on a shared cluster) uses."""
    return f"tmtest{os.getpid()}x{next(_prefixes)}"


def drop_prefix(client: Any, prefix: str) -> None:
    """Delete every index of one test prefix, by name (the node refuses wildcard deletes)."""
    names = sorted(client.indices.get_alias(index=f"{prefix}_*").body)
    if names:
        client.indices.delete(index=",".join(names))


@pytest.fixture(name="prefix")
def fresh_prefix(es_url: str) -> Iterator[str]:
    """A test's own index prefix on the session's node (`unique_prefix`), its indexes dropped
    afterwards. Import it into a test module to use it as the `prefix` fixture."""
    from techmatch.config import Settings
    from techmatch.indexers import elastic

    name = unique_prefix()
    yield name
    client = elastic.connect(Settings(backend="elasticsearch", es_url=es_url))
    drop_prefix(client, name)
    client.close()


class Recorder:
    """What a faulty node saw, and which bulk responses it should corrupt."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes | None]] = []
        self.fail_bulk: list[tuple[int, str]] = []  # (status, error type) for the next bulks

    def count(self, path_suffix: str) -> int:
        return sum(t.split("?")[0].endswith(path_suffix) for _, t, _ in self.requests)


def faulty_node(recorder: Recorder) -> type:
    """A Urllib3HttpNode that records requests and can fail the first item of a bulk."""

    class FaultyNode(Urllib3HttpNode):
        def perform_request(self, method: str, target: str, body: bytes | None = None,
                            headers: Any = None, **kwargs: Any) -> Any:
            recorder.requests.append((method, target, body))
            response = super().perform_request(method, target, body=body, headers=headers,
                                               **kwargs)
            if target.split("?")[0].endswith("/_bulk") and recorder.fail_bulk:
                return _fail_first_item(response, *recorder.fail_bulk.pop(0))
            return response

    return FaultyNode


def _fail_first_item(response: Any, status: int, error: str) -> Any:
    data = json.loads(response.body)
    item = next(iter(data["items"][0].values()))
    item.update({"status": status, "error": {"type": error, "reason": "injected by the test"}})
    data["errors"] = True
    return type(response)(response.meta, json.dumps(data).encode())
