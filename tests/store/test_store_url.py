"""An operator's wrong TECHMATCH_STORE_URL (or `migrate --to`) fails with a message that says
what is wrong, instead of opening something else (issue: helper-51 operations audit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from services.pg_server import PgServer

from techmatch.config import Settings
from techmatch.errors import ConfigError, StoreUnavailableError
from techmatch.store import Store
from techmatch.store.factory import open_store

pytestmark = pytest.mark.xdist_group("postgresql")


@pytest.mark.parametrize("url", ["mysql://ops:s3cret@db.example.org/techmatch",
                                 "postgresql:/typo@127.0.0.1:5432/techmatch"])
def test_unsupported_store_url_is_refused_not_opened_as_a_file(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(home=tmp_path / "home", store_url=url)
    with pytest.raises(ConfigError) as err:
        open_store(settings)
    assert "postgresql://user@host:5432/db" in str(err.value)
    assert "s3cret" not in str(err.value)
    assert url.split(":", 1)[0] in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no SQLite file made anywhere


def test_sqlite_url_still_opens(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    store.close()
    assert (tmp_path / "store.sqlite").is_file()


def _with_database(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + database


def test_missing_database_names_the_server_reason(pg_server: PgServer) -> None:
    url = _with_database(pg_server.url(), "no_such_techmatch_db")
    with pytest.raises(StoreUnavailableError) as err:
        Store(url)
    text = str(err.value)
    assert 'database "no_such_techmatch_db" does not exist' in text
    assert "TECHMATCH_STORE_URL" in text
    assert "PoolTimeout" not in text


def test_unknown_role_names_the_server_reason(pg_server: PgServer) -> None:
    url = pg_server.url().replace("postgres@", "nobody_h51:pw@", 1)
    with pytest.raises(StoreUnavailableError) as err:
        Store(url)
    text = str(err.value)
    assert 'role "nobody_h51" does not exist' in text
    assert ":pw@" not in text


def test_migrate_to_a_missing_database_says_so(pg_server: PgServer, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from techmatch.cli import app

    home = tmp_path / "home"
    Store(home / "store.sqlite").close()
    url = _with_database(pg_server.url(), "no_such_migrate_target")
    result = CliRunner().invoke(app, ["migrate", "--home", str(home), "--to", url])
    assert result.exit_code == 8
    assert 'database "no_such_migrate_target" does not exist' in result.output
    assert "migrate --to" in result.output
