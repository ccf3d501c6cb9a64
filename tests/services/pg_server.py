"""A real PostgreSQL server for tests and benchmarks: Debian's binaries, a throw-away cluster.

`initdb` into a fresh folder under /tmp as the `postgres` user (PostgreSQL refuses to run as
root; when the tests are not root they run it as themselves), listening on 127.0.0.1 only,
on a free port, with its socket in the cluster folder. `stop()` stops it and deletes the
folder; `restart()` / `stop_server()` / `start_server()` are for the outage tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
USER = "postgres"


def pg_bin() -> Path:
    """The newest installed server's bin folder (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted((p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
                   key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if not found:
        raise RuntimeError(f"no PostgreSQL server under {PG_ROOT}: run `make system` as root "
                           "(installs Debian's postgresql package)")
    return found[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", USER, "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class PgServer:
    """One running throw-away cluster; `url(db)` names a database on it."""

    root: Path
    port: int
    bin: Path = field(default_factory=pg_bin)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        cmd = _as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                         *args])
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start_server(self) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                "-c max_connections=60 -c shared_buffers=32MB")
        self._ctl("-l", str(self.root / "server.log"), "-o", opts, "start")

    def stop_server(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def restart(self) -> None:
        self.stop_server()
        self.start_server()

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
        return self.url(name)

    def stop(self) -> None:
        try:
            self.stop_server("immediate")
        except subprocess.CalledProcessError:
            pass
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    """initdb a new cluster (trust auth, UTF-8, C collation) and start it."""
    root = Path(tempfile.mkdtemp(prefix="techmatch-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, USER, USER)
    server = PgServer(root=root, port=free_port())
    try:
        cmd = _as_owner([str(server.bin / "initdb"), "-D", str(server.data), "-U", USER,
                         "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"])
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        server.start_server()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server
