"""An id typed is looked up by the same key on both sides (`models.ids.id_key`: NFKC,
trimmed, case-folded in Python), on SQLite and PostgreSQL. Before, the store compared
`LOWER(id)`, which folds ASCII letters only (and on PostgreSQL's C collation nothing else
either): énergie-1 did not find ÉNERGIE-1, дом-5 not Дом-5, STRASSE-7 not Straße-7 — on the
API, the CLI and the console's search alike. The key is a column written with each record;
a store from before it is back-filled by its migration (version 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService
from techmatch.models.ids import id_key
from techmatch.models.records import Achievement
from techmatch.store import Store
from techmatch.store.migrations import migrate, registered
from techmatch.store.records import open_database

pytestmark = pytest.mark.xdist_group("postgresql")  # `store`, `target`: tests/store/conftest.py

IDS = ["ÉNERGIE-1", "Straße-7", "ΣΙΓΜΑ-3", "Дом-5", "A041"]
TYPED = [("énergie-1", "ÉNERGIE-1"), ("Énergie-1", "ÉNERGIE-1"), ("STRASSE-7", "Straße-7"),
         ("straße-7", "Straße-7"), ("σιγμα-3", "ΣΙΓΜΑ-3"), ("ДОМ-5", "Дом-5"),
         ("дом-5", "Дом-5"), (" ａ０４１ ", "A041"), ("a041", "A041")]


def _records() -> list[Achievement]:
    return [Achievement(id=rid, title=f"成果 {rid}", abstract="储能 锂电池") for rid in IDS]


def test_an_id_is_found_by_its_folded_key(store: Store) -> None:
    store.upsert(_records())
    for typed, rid in TYPED:
        assert store.ids_by_key("achievement", id_key(typed)) == [rid], typed
    assert store.ids_by_key("need", id_key("a041")) == []  # another kind's id
    store.delete("Дом-5")
    assert store.ids_by_key("achievement", id_key("дом-5")) == []  # a tombstone is no record
    store.upsert([Achievement(id="Дом-5", title="又回来了")])
    assert store.ids_by_key("achievement", id_key("дом-5")) == ["Дом-5"]


def test_a_store_from_before_the_key_is_back_filled(target: str | Path) -> None:
    db = open_database(target)
    migrate(db, tuple(m for m in registered() if m.version < 7))  # as an older techmatch left it
    for seq, rec in enumerate(_records(), 1):
        db.execute("INSERT INTO records(id, kind, data, hash, seq, deleted, updated) "
                   "VALUES (?, ?, ?, ?, ?, 0, ?)",
                   (rec.id, rec.kind, rec.model_dump_json(), f"h{seq}", seq,
                    "2026-11-30T00:00:00+00:00"))
    db.close()
    store = Store(target)  # migration 7: the column, and every stored row's key
    try:
        for typed, rid in TYPED:
            assert store.ids_by_key("achievement", id_key(typed)) == [rid], typed
        assert store.get("ÉNERGIE-1").title == "成果 ÉNERGIE-1"  # nothing stored is lost
    finally:
        store.close()


def test_the_search_lists_an_id_typed_in_another_case_first(tmp_path: Path) -> None:
    engine = Engine.open(Settings(home=tmp_path / "home", threads=1), encoder=HashEncoder())
    try:
        engine.store.upsert(_records())
        engine.sync(("achievement",))
        service = MatchService(engine)
        for typed, rid in TYPED:
            hits = service.search(typed, kind="achievement", k=5, explain=False).hits
            assert hits[0].id == rid and hits[0].match_by == "id", (typed, hits[0].id)
    finally:
        engine.close()


def test_the_lookup_reads_the_key_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ORDER BY id` made SQLite walk the kind's ids (records_kind) instead of the key's index:
    ~2.8 ms a search over 5,000 achievements, every search, whatever the text."""
    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert(_records())
        seen: list[tuple[str, tuple[object, ...]]] = []
        fetch = store._db.fetch  # noqa: SLF001 - the statement the lookup runs

        def record(sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
            seen.append((sql, tuple(args)))
            return fetch(sql, args)

        monkeypatch.setattr(store._db, "fetch", record)  # noqa: SLF001
        assert store.ids_by_key("achievement", id_key("a041")) == ["A041"]
        monkeypatch.undo()
        (sql, args), = seen
        plan = " ".join(str(r[-1]) for r in store._db.fetch(  # noqa: SLF001
            f"EXPLAIN QUERY PLAN {sql}", args))
        assert "records_id_key" in plan, plan
    finally:
        store.close()
