"""The store: every table behind typed repositories; the only package that speaks SQL.

`Store` (records and their change log, feedback, meta; `records.py`) opens a `Database`
(`db.py`: SQLite in `sqlite.py`, PostgreSQL in `postgres.py`), brings its schema up to date
(`migrations.py`) and hands out the other repositories, one module per concern: batch runs
and results (`batch.py`), plans and checkpoints (`checkpoints.py`), record listing
(`listing.py`), copying a store (`copy.py`), the per-node vector cache file (`vectors.py`).
"""

from techmatch.store.records import Change, Store, UpsertReport, content_hash
from techmatch.store.sqlite import connect_wal

__all__ = ["Change", "Store", "UpsertReport", "connect_wal", "content_hash"]
