"""The console's search box compares the same id key as the store and the API
(`models.ids.id_key` on both sides). It compared `row.id.casefold()`: a record stored
with an id not folded as ingest folds it (Ａ-1 written by a library caller) was found by
POST /v1/search for a-1 (the store keeps id_key(Ａ-1) = a-1) but not by the console."""

from __future__ import annotations

from techmatch.api.console.views.catalog import ID_MATCH, direct, row_of
from techmatch.models.records import Achievement


def test_the_box_reads_the_stored_key() -> None:
    rows = [row_of(Achievement(id=rid, title="储能")) for rid in ("Ａ-1", "Straße-7", "ÉNERGIE-1")]
    assert direct(rows, "a-1") == {"Ａ-1": ID_MATCH}
    assert direct(rows, "STRASSE-7") == {"Straße-7": ID_MATCH}
    assert direct(rows, "énergie-1") == {"ÉNERGIE-1": ID_MATCH}
