"""Elasticsearch backend: one alias per kind over versioned indexes, same `Index` interface.

The factory calls `open_index`, `sync_index` and `current_generation` when
`settings.backend == "elasticsearch"`; `reindex` and `rollback` back the CLI commands.
"""

from __future__ import annotations

from techmatch.indexers.elastic.client import connect
from techmatch.indexers.elastic.index import ElasticIndex
from techmatch.indexers.elastic.lifecycle import Swap
from techmatch.indexers.elastic.operations import (
                                                   current_generation,
                                                   open_index,
                                                   reindex,
                                                   rollback,
                                                   sync_index,
)

__all__ = ["ElasticIndex", "Swap", "connect", "current_generation", "open_index", "reindex",
           "rollback", "sync_index"]
