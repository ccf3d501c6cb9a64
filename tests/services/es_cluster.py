"""A real Elasticsearch node or cluster on loopback, for tests, benchmarks and evaluation.

The distribution is Elastic's integration-test zip from Maven Central
(`org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip`), fetched by
`mvn dependency:copy` (so it is cached in the local Maven repository) and unpacked once into
`TECHMATCH_ES_CACHE` (default /var/tmp/techmatch-es: readable by the unprivileged user the
nodes run as, which /root is not). It runs on a Java 21+ JDK (Temurin 25 here) found through
`ES_JAVA_HOME`, `/usr/lib/jvm/temurin-25-jdk-amd64`, or any other JDK 21+ under /usr/lib/jvm.

Elasticsearch refuses to run as root: as root, nodes run as the system user `techmatch-es`
(created on first use); as anyone else, as that user. Each node gets its own work folder
(config copy, data, logs), free loopback ports, a small heap and the disk threshold off.

The zip carries x-pack-core and x-pack-security but not `analysis-common` or `rest-root`:
left on, security switches HTTP to TLS with auto-generated certificates and fails to create its
own index (`Unknown filter type [pattern_capture]`), so nodes start with
`xpack.security.enabled=false`. `GET /` answers 405 (no rest-root module); the backend reads the
version from `GET _nodes/_local` instead.

Command line (what `make es-dist` and the docs' recipe call):
    python tests/services/es_cluster.py fetch
    python tests/services/es_cluster.py start --dir /tmp/tm-es [--nodes 2] [--heap 512m]
    python tests/services/es_cluster.py stop --dir /tmp/tm-es
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

VERSION = os.environ.get("TECHMATCH_ES_VERSION", "9.2.0")
ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
CACHE = Path(os.environ.get("TECHMATCH_ES_CACHE", "/var/tmp/techmatch-es"))
USER = "techmatch-es"
JDK_DIR = Path("/usr/lib/jvm")
PREFERRED_JDK = JDK_DIR / "temurin-25-jdk-amd64"
MIN_JAVA = 21
START_TIMEOUT = 240.0  # seconds; ~20 s on an idle 2-core box, ~50 s seen on a loaded one
BASE_SETTINGS: dict[str, str] = {
    "network.host": "127.0.0.1",
    "cluster.routing.allocation.disk.threshold_enabled": "false",
    "xpack.security.enabled": "false",
    "action.destructive_requires_name": "true",
}


class EsServiceError(RuntimeError):
    """The distribution could not be fetched, or a node did not start."""


# --- distribution -----------------------------------------------------------------------


def home_dir(version: str = VERSION) -> Path:
    return CACHE / f"elasticsearch-{version}"


def fetch(version: str = VERSION) -> Path:
    """The unpacked distribution, fetched through Maven and unpacked on first use."""
    home = home_dir(version)
    if (home / "bin" / "elasticsearch").is_file():
        return home
    CACHE.mkdir(parents=True, exist_ok=True)
    CACHE.chmod(0o755)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix=".fetch-") as tmp:
        _maven_copy(version, Path(tmp))
        archive = Path(tmp) / f"elasticsearch-{version}.zip"
        _unzip(archive, Path(tmp) / "unpacked")
        unpacked = Path(tmp) / "unpacked" / f"elasticsearch-{version}"
        if not (unpacked / "bin" / "elasticsearch").is_file():
            raise EsServiceError(f"{archive} has no elasticsearch-{version}/bin/elasticsearch")
        _open_up(unpacked)
        unpacked.rename(home)  # atomic: a half-unpacked copy is never seen as the cache
    return home


def _maven_copy(version: str, out: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise EsServiceError("Maven (mvn) is not installed; it fetches the Elasticsearch "
                             "distribution from Maven Central")
    artifact = ARTIFACT.format(version=version)
    cmd = [mvn, "-B", "-q", "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
           f"-Dartifact={artifact}", f"-DoutputDirectory={out}", "-Dmdep.useBaseVersion=true"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        errors = [line for line in done.stdout.splitlines() if "ERROR" in line][:3]
        raise EsServiceError(f"mvn could not fetch {artifact} (exit {done.returncode}): "
                             + (" | ".join(errors) or done.stderr[-500:]))


def _unzip(archive: Path, dest: Path) -> None:
    """Unpack keeping the Unix modes zipfile drops (bin/ scripts must stay executable)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                path.chmod(mode)


def _open_up(root: Path) -> None:
    """World-readable tree (the node user reads it; nobody writes to it)."""
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        extra = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
        if path.is_dir() or mode & stat.S_IXUSR:
            extra |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        path.chmod(mode | extra)


def java_home() -> Path:
    """A JDK of version 21 or later: ES_JAVA_HOME, Temurin 25, then any under /usr/lib/jvm."""
    candidates = [Path(p) for p in (os.environ.get("ES_JAVA_HOME"),) if p]
    candidates.append(PREFERRED_JDK)
    if JDK_DIR.is_dir():
        candidates += sorted(JDK_DIR.iterdir(), reverse=True)
    for jdk in candidates:
        if (jdk / "bin" / "java").is_file() and _java_major(jdk) >= MIN_JAVA:
            return jdk
    raise EsServiceError(f"no JDK {MIN_JAVA}+ found (set ES_JAVA_HOME); looked at "
                         + ", ".join(str(c) for c in candidates))


def _java_major(jdk: Path) -> int:
    release = jdk / "release"
    if not release.is_file():
        return 0
    for line in release.read_text(errors="replace").splitlines():
        if line.startswith("JAVA_VERSION="):
            head = line.split("=", 1)[1].strip('"').split(".")[0]
            return int(head) if head.isdigit() else 0
    return 0


# --- user and ports -----------------------------------------------------------------------


def node_user() -> pwd.struct_passwd | None:
    """The unprivileged user nodes run as when we are root (created if missing), else None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", USER], check=True)
        return pwd.getpwnam(USER)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- nodes ----------------------------------------------------------------------------------


@dataclass
class Node:
    """One Elasticsearch process; `settings` are passed as `-E` flags."""

    name: str
    workdir: Path
    settings: dict[str, str]
    heap: str = "512m"
    http_port: int = field(default_factory=free_port)
    transport_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log(self) -> Path:
        return self.workdir / "console.log"

    def start(self, home: Path, jdk: Path, user: pwd.struct_passwd | None) -> None:
        """Launch without waiting; the same data folder is reused on a restart."""
        for sub in ("data", "logs", "tmp"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        if not (self.workdir / "config").is_dir():
            shutil.copytree(home / "config", self.workdir / "config")
        _own(self.workdir, user)
        flags = {**self.settings, "node.name": self.name, "http.port": str(self.http_port),
                 "transport.port": str(self.transport_port),
                 "path.data": str(self.workdir / "data"), "path.logs": str(self.workdir / "logs")}
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.workdir),
               "ES_JAVA_HOME": str(jdk), "ES_PATH_CONF": str(self.workdir / "config"),
               "ES_TMPDIR": str(self.workdir / "tmp"),
               "ES_JAVA_OPTS": f"-Xms{self.heap} -Xmx{self.heap}"}
        cmd = [str(home / "bin" / "elasticsearch"), *(f"-E{k}={v}" for k, v in flags.items())]
        ids = {} if user is None else {"user": user.pw_uid, "group": user.pw_gid,
                                       "extra_groups": []}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, **ids)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int, wait: float = 60.0) -> None:
        """Send `sig` to the node's own process group (launcher + JVM) and wait for its end."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        self.signal(signal.SIGTERM)

    def kill(self) -> None:
        """Crash the node (SIGKILL): no shutdown hooks, no goodbye to the cluster."""
        self.signal(signal.SIGKILL)

    def tail(self, lines: int = 12) -> str:
        """The first exception line (the cause) and the last lines of the console output."""
        if not self.log.is_file():
            return "(no console output)"
        text = self.log.read_text(errors="replace").splitlines()
        causes = [line for line in text if "Exception:" in line][:1]
        return "\n".join(causes + text[-lines:])


def _own(root: Path, user: pwd.struct_passwd | None) -> None:
    root.chmod(0o755)
    if user is None:
        return
    for path in [root, *root.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)


@dataclass
class Cluster:
    """Nodes of one cluster on loopback; the first is master-eligible and holds data, the
    others hold data only (so killing one never loses the elected master)."""

    nodes: list[Node]
    workdir: Path
    home: Path
    owns_workdir: bool = True

    @property
    def url(self) -> str:
        return self.nodes[0].url

    @property
    def urls(self) -> str:
        """Every node's URL, comma-separated (TECHMATCH_ES_URL accepts such a list)."""
        return ",".join(node.url for node in self.nodes)

    def health(self, **params: str) -> dict[str, object]:
        return request_json(self.url, "/_cluster/health", params)

    def wait(self, status: str = "green", nodes: int | None = None,
             timeout: float = START_TIMEOUT) -> dict[str, object]:
        """Block until the cluster reports `status` (or better) with `nodes` nodes."""
        deadline, last = time.monotonic() + timeout, "no answer yet"
        count = len([n for n in self.nodes if n.running()]) if nodes is None else nodes
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.proc is not None and node.proc.poll() is not None:
                    raise EsServiceError(f"node {node.name} exited with {node.proc.returncode}:"
                                         f"\n{node.tail()}")
            try:
                health = self.health(wait_for_status=status, wait_for_nodes=str(count),
                                     timeout="2s")
                if not health.get("timed_out"):
                    return health
                last = json.dumps(health)
            except (OSError, ValueError) as exc:
                last = str(exc)
                time.sleep(1.0)
        raise EsServiceError(f"cluster at {self.url} not {status} with {count} nodes after "
                             f"{timeout:.0f} s: {last}\n{self.nodes[0].tail()}")

    def restart(self, node: Node) -> None:
        """Start a stopped node again on its old ports and data folder."""
        node.start(self.home, java_home(), node_user())

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def start_cluster(nodes: int = 1, *, name: str = "techmatch-test", heap: str = "512m",
                  settings: Mapping[str, str] | None = None, workdir: Path | None = None,
                  version: str = VERSION, wait: bool = True) -> Cluster:
    """Start `nodes` nodes (1: `discovery.type=single-node`) and wait for green."""
    home, jdk, user = fetch(version), java_home(), node_user()
    owns = workdir is None
    root = Path(tempfile.mkdtemp(prefix="tm-es-")) if workdir is None else workdir
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    common = {**BASE_SETTINGS, "cluster.name": name, **(settings or {})}
    members = [Node(f"{name}-{i}", root / f"node{i}", dict(common), heap)
               for i in range(nodes)]
    if nodes == 1:
        members[0].settings["discovery.type"] = "single-node"
    else:
        seeds = ",".join(f"127.0.0.1:{n.transport_port}" for n in members)
        for i, node in enumerate(members):
            node.settings["discovery.seed_hosts"] = seeds
            if i == 0:
                node.settings["cluster.initial_master_nodes"] = node.name
            else:
                node.settings["node.roles"] = "data,ingest"
    cluster = Cluster(members, root, home, owns_workdir=owns)
    try:
        for node in members:
            node.start(home, jdk, user)
        if wait:
            cluster.wait("green", nodes)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def request_json(url: str, path: str, params: Mapping[str, str] | None = None, *,
                 method: str = "GET", body: object = None, timeout: float = 30.0) -> dict:
    """A tiny JSON HTTP call without the client library (for readiness and test set-up)."""
    query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}{path}{'?' + query if query else ''}", data=data,
                                 method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise ValueError(f"HTTP {exc.code} from {path}: {exc.read()[:300]!r}") from exc


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="fetch and unpack the distribution (cached)")
    start = sub.add_parser("start", help="start a node or cluster in the background")
    start.add_argument("--dir", type=Path, required=True, help="work folder (data, logs, url)")
    start.add_argument("--nodes", type=int, default=1)
    start.add_argument("--heap", default="512m")
    start.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE")
    stop = sub.add_parser("stop", help="stop what `start --dir` started")
    stop.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "fetch":
        print(fetch())
        return 0
    if args.command == "start":
        extra = dict(s.split("=", 1) for s in args.setting)
        cluster = start_cluster(args.nodes, heap=args.heap, settings=extra, workdir=args.dir)
        (args.dir / "pids").write_text(" ".join(str(n.proc.pid) for n in cluster.nodes
                                                if n.proc is not None))
        (args.dir / "url").write_text(cluster.urls)
        print(cluster.urls)
        return 0
    pids = (args.dir / "pids").read_text().split() if (args.dir / "pids").is_file() else []
    for pid in pids:
        try:
            os.killpg(int(pid), signal.SIGTERM)
        except ProcessLookupError:
            pass
    print(f"stopped process groups {' '.join(pids) or '(none)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
