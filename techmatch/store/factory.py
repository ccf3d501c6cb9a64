"""Which store a process opens: `TECHMATCH_STORE_URL` when set, else `<home>/store.sqlite`."""

from __future__ import annotations

from pathlib import Path

from techmatch.config import Settings
from techmatch.store.records import Store

STORE_FILE = "store.sqlite"


def store_target(settings: Settings) -> str | Path:
    """The PostgreSQL URL of a shared store, or the embedded SQLite file in the home."""
    return settings.store_url or settings.home / STORE_FILE


def open_store(settings: Settings) -> Store:
    """Open (and migrate) the store the settings name."""
    if not settings.store_url:
        settings.home.mkdir(parents=True, exist_ok=True)
    return Store(store_target(settings))
