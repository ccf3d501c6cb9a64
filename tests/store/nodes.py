"""API nodes for the several-node tests: real `techmatch serve` processes and CLI runs, each
with its own home (its own embedded index and vector cache) over one shared store URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
SAMPLE_FILES = {"need": "needs.jsonl", "achievement": "achievements.jsonl",
                "expert": "experts.jsonl"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def node_env(home: Path, store_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "TECHMATCH_HOME": str(home), "TECHMATCH_STORE_URL": store_url,
           "TECHMATCH_ALLOW_ANONYMOUS": "1", "PYTHONPATH": str(ROOT), **extra}
    env.pop("TECHMATCH_API_KEYS", None)
    return env


def cli(home: Path, store_url: str, *args: str, timeout: float = 600,
        **extra: str) -> subprocess.CompletedProcess[str]:
    """Run `techmatch ARGS` as a node of the store; its exit code, stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "techmatch", *args], cwd=ROOT,
                          env=node_env(home, store_url, **extra), capture_output=True,
                          text=True, timeout=timeout)


def load_samples(home: Path, store_url: str) -> None:
    """The samples into the shared store (no index: every node builds its own)."""
    for kind, name in SAMPLE_FILES.items():
        done = cli(home, store_url, "ingest", str(SAMPLES / name), "--kind", kind, "--no-index")
        assert done.returncode == 0, done.stderr[-2000:]


@dataclass
class Node:
    """One `techmatch serve` process on a free loopback port."""

    home: Path
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def wait_ready(self, timeout: float = 300) -> None:
        """Until /readyz answers ready (indexes built from the store and caught up)."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"node on {self.port} exited {self.proc.returncode}: "
                                     f"{self.log()[-3000:]}")
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=5)
                last = response.text
                if response.status_code == 200 and response.json().get("status") == "ready":
                    return
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise AssertionError(f"node on {self.port} not ready: {last}\n{self.log()[-3000:]}")

    def log(self) -> str:
        path = self.home / "serve.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_node(home: Path, store_url: str, **extra: str) -> Node:
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(home / "serve.log", "wb")  # noqa: SIM115 - the process owns it until it ends
    proc = subprocess.Popen([sys.executable, "-m", "techmatch", "serve", "--port", str(port)],
                            cwd=ROOT, env=node_env(home, store_url, **extra), stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    return Node(home=home, port=port, proc=proc)
