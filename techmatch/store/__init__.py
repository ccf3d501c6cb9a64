"""The store: every table behind typed repositories; the only package that speaks SQL.

`Store` (records and their change log, feedback, meta) lives in `records.py`; other
repositories (batch, dockings, programme) live beside it, one module per concern.
"""

from techmatch.store.records import Change, Store, UpsertReport, content_hash
from techmatch.store.sqlite import connect_wal

__all__ = ["Change", "Store", "UpsertReport", "connect_wal", "content_hash"]
