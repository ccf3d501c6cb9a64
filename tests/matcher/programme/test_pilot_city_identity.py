"""Pilot cities are identified by name and province: 朝阳 in 辽宁 and 朝阳 in 北京 are two pilot
cities (before, the second import row replaced the first: the id was the name alone).

A bare name still names a city when only one pilot city has it; when several do, a lookup or
an import row without a province is refused asking for it. Stores written before (a city
keyed by its name) are rekeyed by store migration 5 and read as before.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.matcher.programme import get, import_file, items
from techmatch.models.programme import PilotCity
from techmatch.store import Store


def _run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["programme", *args, "--home", str(home)])
    return result.exit_code, result.stdout, result.stderr


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_same_name_cities_in_two_provinces_are_two_pilot_cities(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cities = _csv(tmp_path / "cities.csv", "城市,省份,批次,启动日期\n朝阳,辽宁省,2,2026-03-01\n"
                  "朝阳,北京,3,2026-04-01\n苏州,江苏,1,2026-01-15\n")
    code, out, err = _run(home, "import", "city", str(cities), "--json")
    assert code == 0, err
    report = json.loads(out)[0]
    assert sorted(report["created"]) == ["朝阳（北京）", "朝阳（辽宁）", "苏州（江苏）"]
    assert report["updated"] == [] and report["errors"] == []

    code, out, _ = _run(home, "list", "city", "--json")
    assert sorted((c["name"], c["province"], c["batch"]) for c in json.loads(out)) == [
        ("朝阳", "北京", 3), ("朝阳", "辽宁省", 2), ("苏州", "江苏", 1)]

    # a bare name that two pilot cities share: refused, asking for the province
    code, out, err = _run(home, "show", "city", "朝阳")
    assert code == 2, out
    assert "请写明省份" in err and "朝阳（北京）" in err and "朝阳（辽宁）" in err
    code, out, _ = _run(home, "show", "city", "朝阳（辽宁）")
    assert code == 0 and json.loads(out)["batch"] == 2
    code, out, _ = _run(home, "show", "city", "朝阳(辽宁省)")  # ASCII brackets, 省 suffix
    assert code == 0 and json.loads(out)["batch"] == 2
    # an unambiguous bare name resolves as before
    code, out, _ = _run(home, "show", "city", "苏州")
    assert code == 0 and json.loads(out)["province"] == "江苏"

    code, _, err = _run(home, "delete", "city", "朝阳")
    assert code == 2 and "请写明省份" in err
    code, _, err = _run(home, "delete", "city", "朝阳（北京）")
    assert code == 0, err
    code, out, _ = _run(home, "show", "city", "朝阳")  # one 朝阳 left: the name is enough
    assert code == 0 and json.loads(out)["province"] == "辽宁省"


def test_import_rows_without_a_province(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    try:
        first = _csv(tmp_path / "a.csv", "城市,省份,批次\n朝阳,辽宁,2\n朝阳,北京,3\n苏州,江苏,1\n")
        assert len(import_file(store, "city", first).created) == 3
        # 苏州 alone names one pilot city: that one is updated and keeps its province;
        # 朝阳 alone names two: the row is refused (row, field, the choices); nothing changes
        again = _csv(tmp_path / "b.csv", "城市,批次\n苏州,4\n朝阳,5\n")
        report = import_file(store, "city", again)
        assert report.updated == ["苏州（江苏）"] and report.created == []
        assert [(e.row, e.field) for e in report.errors] == [(3, "province")]
        assert "请写明省份" in report.errors[0].message
        assert get(store, "city", "苏州").batch == 4
        assert get(store, "city", "苏州").province == "江苏"
        assert sorted(c.batch for c in items(store, "city") if c.name == "朝阳") == [2, 3]
    finally:
        store.close()


def test_city_without_province_gets_one_later(tmp_path: Path) -> None:
    """A pilot city stored without a province, imported again with one, is the same city."""
    store = Store(tmp_path / "store.sqlite")
    try:
        import_file(store, "city", _csv(tmp_path / "a.csv", "城市,批次\n无锡,1\n"))
        report = import_file(store, "city", _csv(tmp_path / "b.csv",
                                                 "城市,省份,批次\n无锡,江苏,2\n"))
        assert report.updated == ["无锡（江苏）"] and report.created == []
        assert [(c.name, c.province, c.batch) for c in items(store, "city")] == [
            ("无锡", "江苏", 2)]
    finally:
        store.close()


def test_store_keyed_by_name_is_migrated(tmp_path: Path) -> None:
    """A store written before (city id = its name) reads as before after migration 5."""
    path = tmp_path / "store.sqlite"
    store = Store(path)
    old = PilotCity(name="苏州", province="江苏", batch=1)
    db = store._db  # noqa: SLF001 - write the row as the previous version stored it
    with db.transaction():
        db.execute("INSERT INTO programme_items (kind, id, city, day, ref, data, updated) "
                   "VALUES ('city', '苏州', '苏州', NULL, NULL, ?, '2026-01-01')",
                   (old.model_dump_json(),))
        db.execute("DELETE FROM schema_version WHERE version = 5")
    store.close()
    store = Store(path)
    try:
        assert 5 in store.schema_versions()
        assert [c.id for c in items(store, "city")] == ["苏州（江苏）"]
        assert get(store, "city", "苏州").batch == 1
        report = import_file(store, "city", _csv(tmp_path / "c.csv",
                                                 "城市,省份,批次\n苏州,江苏,2\n"))
        assert report.updated == ["苏州（江苏）"] and report.created == []
        assert len(items(store, "city")) == 1
    finally:
        store.close()
