"""Test-only transport node that lets the official Elasticsearch client talk to osmem-server.

The 9.x client sends `application/vnd.elasticsearch+json; compatible-with=9` and refuses a
server that does not answer with `X-Elastic-Product: Elasticsearch`; osmem (an OpenSearch-API
emulator) speaks plain JSON and sends no such header. This node rewrites both directions.
Production code never uses it.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from collections.abc import Iterator
from typing import Any

from elastic_transport import HttpHeaders, Urllib3HttpNode
from elastic_transport._node import NodeApiResponse

_VENDOR = re.compile(r"application/vnd\.elasticsearch\+([\w-]+)(;\s*compatible-with=\d+)?")


def _plain(value: str) -> str:
    """`application/vnd.elasticsearch+x-ndjson; compatible-with=9` → `application/x-ndjson`."""
    return _VENDOR.sub(lambda m: f"application/{m.group(1)}", value)


class OsmemNode(Urllib3HttpNode):
    """Urllib3 node with Elasticsearch-vendor media types rewritten to plain JSON."""

    def perform_request(self, method: str, target: str, body: bytes | None = None,
                        headers: HttpHeaders | None = None,
                        **kwargs: Any) -> NodeApiResponse:
        sent = HttpHeaders()
        for key, value in {**dict(self._headers), **dict(headers or {})}.items():
            if key.lower() in ("accept", "content-type"):
                value = _plain(value)
            sent[key] = value
        response = super().perform_request(method, target, body=body, headers=sent, **kwargs)
        got = HttpHeaders(response.meta.headers)
        got["x-elastic-product"] = "Elasticsearch"
        meta = dataclasses.replace(response.meta, headers=got)
        return NodeApiResponse(meta, response.body)


REAL_URL_ENV = "TECHMATCH_ES_URL"
KNN_SKIP = "kNN needs a real Elasticsearch cluster: set TECHMATCH_ES_URL"


@dataclasses.dataclass
class EsTarget:
    """Where the Elasticsearch tests run: osmem (lexical only) or a real cluster from the env."""

    url: str
    real: bool
    node_class: type | None

    @property
    def dense(self) -> bool:
        """osmem has no dense_vector type; only a real cluster gets vector fields."""
        return self.real


def start_target() -> Iterator[EsTarget]:
    """Body of a session fixture: the real cluster when TECHMATCH_ES_URL is set, else a fresh
    osmem-server on 127.0.0.1 (stopped afterwards)."""
    url = os.environ.get(REAL_URL_ENV)
    if url:
        yield EsTarget(url=url, real=True, node_class=None)
        return
    from osmem_server import OsmemServer

    server = OsmemServer.start(addr="127.0.0.1:0", japanese=False)
    try:
        yield EsTarget(url=server.url, real=False, node_class=OsmemNode)
    finally:
        server.close()


_prefixes = itertools.count()


def unique_prefix() -> str:
    """An index prefix no other test (or earlier run on a real cluster) uses."""
    return f"tmtest{os.getpid()}x{next(_prefixes)}"


def drop_prefix(client: Any, prefix: str) -> None:
    """Delete every index of one test prefix, by name (real clusters refuse wildcard deletes)."""
    names = sorted(client.indices.get_alias(index=f"{prefix}_*").body)
    if names:
        client.indices.delete(index=",".join(names))
