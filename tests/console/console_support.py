"""Browser-test support: a sample home built once, `techmatch serve` on a free loopback port,
and headless Debian Chromium driven by Selenium through the system chromedriver."""

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

KEYS = {"read": "console-read-key", "write": "console-write-key", "admin": "console-admin-key"}
API_KEYS = ",".join(f"{role}:{hash_key(key)}" for role, key in KEYS.items())
CHROMIUM = os.environ.get("TECHMATCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TECHMATCH_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage", "--window-size=1360,1000",
                  "--lang=zh-CN")


def build_sample_home(home: Path) -> Path:
    """data/samples loaded, indexed with the real e5-small encoder and one batch run (what
    `make run` serves, plus the batch for coverage) and the programme fixtures. The ranker is
    not trained here: that costs most of the build and no browser test depends on calibrated
    confidences."""
    from techmatch.cli.demo import SAMPLES, load_samples
    from techmatch.config import Settings
    from techmatch.matcher.batch import BatchOptions, run_batch
    from techmatch.matcher.engine import Engine
    from techmatch.matcher.programme.imports import import_folder

    engine = Engine.open(Settings(home=home, threads=1))
    try:
        load_samples(engine)
        engine.sync()
        import_folder(engine.store, SAMPLES / "programme")  # cities, teams, events, targets
        run_batch(engine, BatchOptions(k=5, explain=False))
    finally:
        engine.close()
    run_tiny_eval(home)
    return home


TINY_EVAL = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "tiny-zh"


def run_tiny_eval(home: Path) -> None:
    """A real `techmatch eval` on the tiny Chinese set, so the 评估 page has a report."""
    from typer.testing import CliRunner

    from techmatch.cli import app

    result = CliRunner().invoke(app, [
        "eval", "--dataset", str(TINY_EVAL), "--split", "dev", "--json", "--home", str(home),
        "--threads", "1", "--trials", "200", "--retrievers", "lexical,dense,hybrid-rrf",
        "--metrics", "ndcg@10,mrr@10"])
    assert result.exit_code == 0, result.output


def admin_api(server: Server, method: str, path: str, **kwargs: object) -> httpx.Response:
    """One request to the test server's API with the admin key."""
    return httpx.request(method, server.url + path, headers={"X-API-Key": KEYS["admin"]},
                         timeout=60, **kwargs)  # type: ignore[arg-type]


def new_docking(server: Server, need: str) -> str:
    """A new docking of `need` at 推荐 with its best candidate that has none yet: the console
    tests share one server, and several dock the same sample needs."""
    for hit in admin_api(server, "GET", f"/v1/match/needs/{need}?k=10").json()["hits"]:
        made = admin_api(server, "POST", "/v1/dockings",
                         json={"need_id": need, "candidate_id": hit["id"]})
        if made.status_code != 409:
            assert made.status_code == 201, made.text
            return str(made.json()["id"])
    raise AssertionError(f"every candidate of {need} is docked already")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`techmatch serve` in a subprocess on a free loopback port, until stopped."""

    def __init__(self, home: Path, log: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180.0) -> Server:
        env = {**os.environ, "TECHMATCH_API_KEYS": API_KEYS, "TECHMATCH_HOME": str(self.home),
               "TECHMATCH_THREADS": "1", "OMP_NUM_THREADS": "1"}
        env.pop("TECHMATCH_ALLOW_ANONYMOUS", None)
        out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "techmatch"), "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--home", str(self.home)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text(errors='replace')}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"server not ready after {timeout}s: "
                             f"{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def chromium(profile: Path, downloads: Path):  # type: ignore[no-untyped-def]
    """A headless Chromium (Debian's) with a fresh profile; downloads land in `downloads`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "intl.accept_languages": "zh-CN"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    return driver
