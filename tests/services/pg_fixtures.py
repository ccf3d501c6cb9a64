"""pytest fixtures for a real PostgreSQL server: one per test session, a database per test.

Registered by tests/conftest.py. Every test using them joins the xdist group `postgresql`,
so under `pytest -n 2 --dist loadgroup` they share one worker and one server.
`TECHMATCH_TEST_PG_URL` (an admin URL such as postgresql://postgres@host:5432/postgres) makes
the tests use that server and start nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from services.pg_server import PgServer, start_server

PG_FIXTURES = ("pg_server", "pg_url")
GROUP = "postgresql"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in PG_FIXTURES):
            item.add_marker(pytest.mark.xdist_group(GROUP))


class ExternalServer:
    """A server someone else runs: databases are created on it, nothing is stopped."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def create_database(self, prefix: str = "t") -> str:
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
        return self.admin_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer | ExternalServer]:
    """A running PostgreSQL server on loopback, stopped (and its folder deleted) at the end."""
    external = os.environ.get("TECHMATCH_TEST_PG_URL")
    if external:
        yield ExternalServer(external)
        return
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def pg_url(pg_server: PgServer | ExternalServer) -> str:
    """URL of a fresh, empty database on the session's server."""
    return pg_server.create_database()
