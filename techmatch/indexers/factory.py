"""The only place that names concrete backends: open, sync and poll an index of one kind."""

from __future__ import annotations

from techmatch.config import Settings
from techmatch.indexers.base import Index, Progress, SyncReport
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.tokenize import Tokenizer
from techmatch.store import Store


def open_index(settings: Settings, kind: str, *, encoder: Encoder,
               tokenizer: Tokenizer, store: Store | None = None) -> Index:
    """The current index of `kind` for the configured backend.

    Raises IndexMissingError when nothing was built ("run `techmatch index`") and
    IndexMismatchError naming what differs (encoder id/dim, tokenizer fingerprint, schema
    version) and the fix (`techmatch index --full`). Elasticsearch with `store` (the home's):
    ConfigError when another store built the prefix's index (its records are not this home's).
    """
    if settings.backend == "elasticsearch":
        from techmatch.indexers import elastic

        return elastic.open_index(settings, kind, encoder=encoder, tokenizer=tokenizer,
                                  store=store)
    from techmatch.indexers.embedded import open_embedded

    return open_embedded(settings, kind, encoder=encoder, tokenizer=tokenizer)


def sync_index(settings: Settings, kind: str, store: Store, *, encoder: Encoder,
               tokenizer: Tokenizer, full: bool = False,
               progress: Progress | None = None) -> SyncReport:
    """Apply the store's changes since the index's applied sequence (all when `full`)."""
    if settings.backend == "elasticsearch":
        from techmatch.indexers import elastic

        return elastic.sync_index(settings, kind, store, encoder=encoder, tokenizer=tokenizer,
                                  full=full, progress=progress)
    from techmatch.indexers.embedded import sync_embedded

    return sync_embedded(settings, kind, store, encoder=encoder, tokenizer=tokenizer, full=full,
                         progress=progress)


def current_generation(settings: Settings, kind: str) -> str | None:
    """Cheap check of the newest published generation, so a server can notice and reopen."""
    if settings.backend == "elasticsearch":
        from techmatch.indexers import elastic

        return elastic.current_generation(settings, kind)
    from techmatch.indexers.embedded import current_generation as embedded_generation

    return embedded_generation(settings, kind)


def generation_stamp(settings: Settings, kind: str) -> object:
    """A value that changes whenever the published generation may have changed, cheaper than
    `current_generation` where the backend allows (embedded: a `stat` of `CURRENT`)."""
    if settings.backend == "elasticsearch":
        return current_generation(settings, kind)
    from techmatch.indexers.embedded import generation_stamp as embedded_stamp

    return embedded_stamp(settings, kind)
