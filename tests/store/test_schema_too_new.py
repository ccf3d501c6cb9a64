"""A store migrated by a newer techmatch (a schema version this code does not know) opened
silently in older code, which then read and wrote tables it does not understand. Opening it is
now refused (StoreTooNewError: the store's version, the newest this code knows, 升级 techmatch;
exit 11 in the CLI) and nothing in the store changes. Both databases, real stores."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from techmatch.cli import app
from techmatch.errors import StoreTooNewError
from techmatch.models import Need
from techmatch.store import Store
from techmatch.store.migrations import latest_version


def _add_version(target: str | Path, version: int) -> None:
    """What a newer techmatch leaves behind: one more row in schema_version."""
    row = (version, "from a newer techmatch", dt.datetime.now(dt.timezone.utc).isoformat())
    if isinstance(target, Path):
        with sqlite3.connect(target) as conn:
            conn.execute("INSERT INTO schema_version(version, name, applied) VALUES (?, ?, ?)",
                         row)
        conn.close()
        return
    import psycopg

    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version(version, name, applied) VALUES (%s, %s, %s)",
                     row)


def _schema_rows(target: str | Path) -> list[tuple[object, ...]]:
    if isinstance(target, Path):
        with sqlite3.connect(target) as conn:
            rows = conn.execute("SELECT * FROM schema_version ORDER BY version").fetchall()
        conn.close()
        return rows
    import psycopg

    with psycopg.connect(target) as conn:
        return conn.execute("SELECT * FROM schema_version ORDER BY version").fetchall()


def test_a_store_of_a_newer_schema_is_refused_and_left_alone(target: str | Path) -> None:
    store = Store(target)
    store.upsert([Need(id="N1", title="叶片裂纹检测")])
    store.close()
    newer = latest_version() + 1
    _add_version(target, newer)
    before = _schema_rows(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest() if isinstance(target, Path) \
        else None
    with pytest.raises(StoreTooNewError) as caught:
        Store(target)
    message = str(caught.value)
    assert f"结构版本为 {newer}" in message and f"只支持到 {latest_version()}" in message
    assert "升级 techmatch" in message
    assert _schema_rows(target) == before
    if digest is not None:
        assert hashlib.sha256(target.read_bytes()).hexdigest() == digest  # type: ignore[union-attr]


def test_the_cli_exits_11_naming_both_versions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    Store(home / "store.sqlite").close()
    _add_version(home / "store.sqlite", latest_version() + 3)
    for args in (["get", "N1"], ["migrate"]):
        result = CliRunner().invoke(app, [*args, "--home", str(home)])
        assert result.exit_code == 11, result.output
        assert f"结构版本为 {latest_version() + 3}" in result.stderr
        assert "升级 techmatch" in result.stderr and "Traceback" not in result.output
