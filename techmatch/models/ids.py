"""A record's id as staff type it: the one key a typed id and a stored id are compared by."""

from __future__ import annotations

from techmatch.models.records import fold_id


def id_key(text: str) -> str:
    """`text` as an id is compared, typed or stored: folded as ingest reads ids (NFKC, trimmed:
    Ｎ０１６ is N016) and in any case, every script's (Python's casefold: n016, énergie-1 for
    ÉNERGIE-1, strasse-7 for Straße-7). The store keeps each record's key beside its id
    (the `records.id_key` column), so a lookup compares this key on both sides on every
    database (`Store.ids_by_key`), and the console's search box reads it too."""
    return str(fold_id(text)).casefold()
