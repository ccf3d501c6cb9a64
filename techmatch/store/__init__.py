"""The store: every table behind typed repositories; the only package that speaks SQL.

`Store` (records and their change log, feedback, meta; `records.py`) opens a `Database`
(`db.py`: SQLite in `sqlite.py`, PostgreSQL in `postgres.py`), brings its schema up to date
(`migrations.py`) and hands out the other repositories, one module per concern: batch runs
and results (`batch.py`), plans and checkpoints (`checkpoints.py`), record listing
(`listing.py`), the change log for index followers (`changelog.py`), dockings and feedback
(`dockings.py`), programme registries and targets (`programme.py`), copying a store
(`copy.py`), the per-node vector cache file (`vectors.py`). `factory.open_store(settings)`
picks SQLite (`<home>/store.sqlite`) or PostgreSQL (`TECHMATCH_STORE_URL`).
"""

from techmatch.store.records import Change, Store, UpsertReport, content_hash
from techmatch.store.sqlite import connect_wal

__all__ = ["Change", "Store", "UpsertReport", "connect_wal", "content_hash"]
