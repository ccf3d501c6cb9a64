"""Console fixtures: one sample home and one `techmatch serve` per session, one browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_support import KEYS, Server, build_sample_home, chromium

GROUP = "console"


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the group into the node id
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the browser tests on one xdist worker (one sample home, one server, one browser).

    As in tests/services/es_fixtures.py: xdist 3.8 writes the `@console` suffix to
    `item._nodeid`, which pytest 9 no longer reads, so `--dist loadgroup` spread the group."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if (marker is not None and marker.args and marker.args[0] == GROUP
                and hasattr(item, "_id") and not item.nodeid.endswith(f"@{GROUP}")):
            item._id = NodeId.parse(f"{item.nodeid}@{GROUP}")


@pytest.fixture(scope="session")
def console_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_home(tmp_path_factory.mktemp("console") / "home")


@pytest.fixture(scope="session")
def server(console_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(console_home, tmp_path_factory.mktemp("console-log") / "server.log").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where page screenshots go (TECHMATCH_CONSOLE_SHOTS, else the session's temp folder)."""
    folder = Path(os.environ.get("TECHMATCH_CONSOLE_SHOTS") or
                  tmp_path_factory.getbasetemp() / "console-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console-downloads")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory, downloads: Path):  # type: ignore[no-untyped-def]
    driver = chromium(tmp_path_factory.mktemp("chromium-profile"), downloads)
    yield driver
    driver.quit()


@pytest.fixture()
def keys() -> dict[str, str]:
    return KEYS
