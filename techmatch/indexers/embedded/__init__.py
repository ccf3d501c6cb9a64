"""Embedded backend (default, one machine, no server): tantivy BM25 + faiss vectors on disk."""

from __future__ import annotations

from techmatch.config import Settings
from techmatch.indexers.embedded.generations import kind_dir, read_current
from techmatch.indexers.embedded.index import EmbeddedIndex, open_embedded
from techmatch.indexers.embedded.sync import sync_embedded

__all__ = ["EmbeddedIndex", "current_generation", "open_embedded", "sync_embedded"]


def current_generation(settings: Settings, kind: str) -> str | None:
    """Name of the generation `CURRENT` points to (one small file read), None if none."""
    return read_current(kind_dir(settings, kind))
