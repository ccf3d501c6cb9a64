"""Embedded backend (default, one machine, no server): tantivy BM25 + faiss vectors on disk."""

from __future__ import annotations

from techmatch.config import Settings
from techmatch.indexers.embedded.generations import CURRENT, kind_dir, read_current
from techmatch.indexers.embedded.index import EmbeddedIndex, open_embedded
from techmatch.indexers.embedded.sync import sync_embedded

__all__ = ["EmbeddedIndex", "current_generation", "generation_stamp", "open_embedded",
           "sync_embedded"]


def current_generation(settings: Settings, kind: str) -> str | None:
    """Name of the generation `CURRENT` points to (one small file read), None if none."""
    return read_current(kind_dir(settings, kind))


def generation_stamp(settings: Settings, kind: str) -> tuple[int, int, int] | None:
    """(inode, mtime ns, size) of `CURRENT`, None if none: one `stat`, no read. `publish`
    replaces `CURRENT` with `os.replace`, so a new generation always changes the inode."""
    try:
        st = (kind_dir(settings, kind) / CURRENT).stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)
