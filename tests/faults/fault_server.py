"""Fault-suite support: the real `techmatch serve` in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from techmatch.api.security import hash_key

ADMIN_KEY = "fault-suite-admin-key"
HEADERS = {"X-API-Key": ADMIN_KEY}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """`python -m techmatch serve` over one home; started, SIGKILLed and restarted at will."""

    def __init__(self, home: Path, log: Path, **settings: str) -> None:
        self.home = home
        self.log = log
        self.env = {**os.environ, "TECHMATCH_API_KEYS": f"admin:{hash_key(ADMIN_KEY)}",
                    "OMP_NUM_THREADS": "1", "TECHMATCH_THREADS": "1",
                    **{f"TECHMATCH_{k.upper()}": v for k, v in settings.items()}}
        self.env.pop("TECHMATCH_ALLOW_ANONYMOUS", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 600.0) -> str:
        """Start and wait until /healthz answers (not /readyz: callers watch that themselves)."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "techmatch", "serve", "--port", str(port),
                 "--home", str(self.home)], env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"server exited with {self.proc.returncode}: "
                                         f"{self.log.read_text(errors='replace')[-2000:]}")
                try:
                    if client.get("/healthz").status_code == 200:
                        return self.url
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise AssertionError(f"server did not answer /healthz within {timeout}s")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, exactly like a crash or the OOM killer."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
