"""pytest fixtures for a real Elasticsearch: one node per test session, a two-node cluster
for the fail-over and back-pressure tests. Registered by tests/conftest.py.

`TECHMATCH_ES_URL` set in the environment: the tests use that cluster and start nothing.
Every test that uses these fixtures joins the xdist group `elasticsearch`, so under
`pytest -n 2 --dist loadgroup` (what `make test` runs) they share one worker and one node.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from services.es_cluster import Cluster, start_cluster

ES_FIXTURES = ("es_url", "es_cluster2")
GROUP = "elasticsearch"
# two-node cluster: a write pool of one thread and a queue of one, so concurrent bulk
# requests meet real 429 rejections; each node's heap stays small on the 2-core box
CLUSTER2_SETTINGS = {"thread_pool.write.size": "1", "thread_pool.write.queue_size": "1"}


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the group into the node id
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in ES_FIXTURES):
            item.add_marker(pytest.mark.xdist_group(GROUP))
            if getattr(config.option, "loadgroup", False):
                _group_node_id(item)


def _group_node_id(item: pytest.Item) -> None:
    """Give the node id xdist's `@<group>` suffix.

    xdist 3.8 assigns `item._nodeid`, which pytest 9 no longer reads (the id lives in
    `item._id`, a NodeId), so `--dist loadgroup` silently spread the group over both workers
    (seen: two nodes started). This does what xdist means to do, for pytest versions with `_id`.
    """
    from _pytest.nodeid import NodeId

    if hasattr(item, "_id") and not item.nodeid.endswith(f"@{GROUP}"):
        item._id = NodeId.parse(f"{item.nodeid}@{GROUP}")


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    """URL of a green Elasticsearch node (started here unless TECHMATCH_ES_URL names one)."""
    external = os.environ.get("TECHMATCH_ES_URL")
    if external:
        yield external
        return
    cluster = start_cluster(1, name="techmatch-test", heap="512m")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def es_cluster2() -> Iterator[Cluster]:
    """A green two-node cluster on loopback (master+data, data-only), tiny write queues."""
    cluster = start_cluster(2, name="techmatch-pair", heap="384m",
                            settings=CLUSTER2_SETTINGS)
    try:
        yield cluster
    finally:
        cluster.stop()
