"""Soak test: mixed search, match and writes at fixed concurrency on loopback against the real
`techmatch serve`, with a SIGKILL and a restart in the middle (issue 12).

Reports: acknowledged writes lost (not in the store) or not searchable after the run,
5xx and transport errors outside the restart window, the index lag seen on /readyz against
the configured bound, latency per operation next to /healthz (the no-work peer, sampled by
the same monitor), and the machine load.

    nice -n 10 .venv/bin/python bench/soak.py [--minutes 10] [--concurrency 8]
        [--write-rate 2] [--lag-bound 30] [--out bench/results/soak.md]

The restart window runs from the SIGKILL to the first /readyz 200 after the restart. Writes
are paced globally (`--write-rate` records/s): e5-small encodes ~20 passages/s on 2 cores,
so an unpaced writer would outrun any index and the lag bound would be meaningless.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
KEY = "soak-admin-key"
HEADERS = {"X-API-Key": KEY}
CLIENT_TIMEOUT = 60.0
KINDS = {"need": "needs.jsonl", "achievement": "achievements.jsonl", "expert": "experts.jsonl"}


@dataclass
class Call:
    op: str
    start: float
    end: float
    status: int  # 0: connection refused / reset, -1: no answer within the client timeout


@dataclass
class Shared:
    """State the workers, the monitor and the main thread share (guarded by `lock`)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: list[Call] = field(default_factory=list)
    acked: list[tuple[str, str]] = field(default_factory=list)
    ready: list[tuple[float, int, dict]] = field(default_factory=list)  # type: ignore[type-arg]
    health: list[tuple[float, float]] = field(default_factory=list)
    loads: list[tuple[float, tuple[float, float, float]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    write_tokens: float = 0.0


class Server:
    def __init__(self, home: Path, port: int, log: Path, lag_bound: float) -> None:
        from techmatch.api.security import hash_key

        self.home, self.port, self.log = home, port, log
        self.env = {**os.environ, "TECHMATCH_API_KEYS": f"admin:{hash_key(KEY)}",
                    "OMP_NUM_THREADS": "1", "TECHMATCH_THREADS": "1",
                    "TECHMATCH_INDEX_LAG_MAX_SECONDS": str(lag_bound),
                    "TECHMATCH_WRITE_WAIT_SECONDS": "5", "HF_HUB_OFFLINE": "1"}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "techmatch", "serve", "--port", str(self.port),
                 "--home", str(self.home)], env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(60)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(60)


def seed(home: Path) -> dict[str, list[str]]:
    """A fresh home holding the samples (store only: the server's follower indexes them)."""
    from techmatch.indexers.ingest.load import ingest_files
    from techmatch.store import Store

    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    store = Store(home / "store.sqlite")
    ids = {}
    for kind, name in KINDS.items():
        ingest_files([SAMPLES / name], kind, store)
        ids[kind] = [r.id for r in store.iter_records(kind)]
    store.close()
    return ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, timeout: float) -> float:
    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=10) as client:
        while time.monotonic() - started < timeout:
            try:
                if client.get("/readyz").status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.25)
    raise SystemExit(f"server not ready after {timeout}s")


# -- load ------------------------------------------------------------------------------------
class Worker:
    def __init__(self, n: int, url: str, shared: Shared, ids: dict[str, list[str]],
                 queries: list[str], seed_value: int) -> None:
        self.n, self.url, self.shared, self.ids, self.queries = n, url, shared, ids, queries
        self.rng = random.Random(seed_value)
        self.count = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers=HEADERS, timeout=CLIENT_TIMEOUT) as client:
            while not self.shared.stop.is_set():
                roll = self.rng.random()
                if roll < 0.25 and self._take_write_budget(3):
                    self._write(client)
                elif roll < 0.6:
                    self._timed(client, "match", "GET", f"/v1/match/needs/"
                                f"{self.rng.choice(self.ids['need'])}",
                                params={"target": self.rng.choice(["achievement", "expert"]),
                                        "k": 5})
                else:
                    self._timed(client, "search", "POST", "/v1/search", json={
                        "kind": self.rng.choice(list(KINDS)), "k": 10,
                        "text": self.rng.choice(self.queries)})

    def _take_write_budget(self, records: int) -> bool:
        with self.shared.lock:
            if self.shared.write_tokens >= records:
                self.shared.write_tokens -= records
                return True
        return False

    def _write(self, client: httpx.Client) -> None:
        self.count += 1
        base = f"soak{self.n}x{self.count}"
        kind = self.rng.random()
        if kind < 0.5:
            rows = [(base, f"sk{base}q")]
            response = self._timed(client, "write-single", "POST", "/v1/needs",
                                   json={"id": base, "title": f"浸泡测试需求 sk{base}q"})
        elif kind < 0.8:
            rows = [(f"{base}b{i}", f"sk{base}b{i}q") for i in range(3)]
            response = self._timed(client, "write-batch", "POST", "/v1/needs/batch", json={
                "records": [{"id": r, "title": f"批量浸泡 {t}"} for r, t in rows]})
        else:
            rows = [(f"{base}u{i}", f"sk{base}u{i}q") for i in range(2)]
            csv = "id,title\n" + "".join(f"{r},上传浸泡 {t}\n" for r, t in rows)
            response = self._timed(client, "write-upload", "POST", "/v1/needs/upload",
                                   files={"file": ("soak.csv", csv.encode(), "text/csv")})
        if response is not None and 200 <= response.status_code < 300:
            with self.shared.lock:
                self.shared.acked.extend(rows)

    def _timed(self, client: httpx.Client, op: str, method: str, path: str,
               **kwargs: object) -> httpx.Response | None:
        start = time.monotonic()
        try:
            response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
            status = response.status_code
        except httpx.TimeoutException:
            response, status = None, -1
        except httpx.TransportError:
            response, status = None, 0
        if status in (0, 503):
            time.sleep(0.2)  # down or still loading: do not spin
        with self.shared.lock:
            self.shared.calls.append(Call(op, start, time.monotonic(), status))
        return response


def refill(shared: Shared, rate: float) -> None:
    while not shared.stop.is_set():
        with shared.lock:
            shared.write_tokens = min(shared.write_tokens + rate * 0.25, rate * 5)
        time.sleep(0.25)


def monitor(url: str, shared: Shared) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        while not shared.stop.is_set():
            now = time.monotonic()
            try:
                t0 = time.monotonic()
                client.get("/healthz")
                health = time.monotonic() - t0
                response = client.get("/readyz")
                with shared.lock:
                    shared.health.append((now, health))
                    shared.ready.append((now, response.status_code, response.json()))
            except (httpx.TransportError, ValueError):
                with shared.lock:
                    shared.ready.append((now, 0, {}))
            with shared.lock:
                shared.loads.append((now, os.getloadavg()))
            time.sleep(1.0)


# -- checks ----------------------------------------------------------------------------------
def verify(url: str, acked: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(ids not in the store, ids in the store that a lexical search for their token misses)."""
    lost, unsearchable = [], []
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        for rid, token in acked:
            if client.get(f"/v1/needs/{rid}").status_code != 200:
                lost.append(rid)
                continue
            hits = client.post("/v1/search", json={"kind": "need", "text": token, "k": 3,
                                                   "mode": "lexical", "explain": False}
                               ).json()["hits"]
            if rid not in [h["id"] for h in hits]:
                unsearchable.append(rid)
    return lost, unsearchable


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(args: argparse.Namespace, shared: Shared, window: tuple[float, float],
           started: float, lost: list[str], unsearchable: list[str], ready_after: float,
           drain: float) -> str:
    w0, w1 = window
    outside = [c for c in shared.calls if c.end < w0 or c.start > w1]
    inside = [c for c in shared.calls if not (c.end < w0 or c.start > w1)]
    ops = sorted({c.op for c in shared.calls})
    rows = []
    for op in ops:
        mine = [c for c in outside if c.op == op]
        ok = [c.end - c.start for c in mine if 200 <= c.status < 300]
        rows.append(f"| {op} | {len(mine)} | {sum(1 for c in mine if c.status >= 500)} | "
                    f"{sum(1 for c in mine if c.status == 0)} | "
                    f"{sum(1 for c in mine if 400 <= c.status < 500)} | "
                    f"{pct(ok, 0.5) * 1000:.0f} | {pct(ok, 0.99) * 1000:.0f} |")
    health = [h for t, h in shared.health if t < w0 or t > w1]
    rows.append(f"| healthz (peer, monitor) | {len(health)} | 0 | 0 | 0 | "
                f"{pct(health, 0.5) * 1000:.0f} | {pct(health, 0.99) * 1000:.0f} |")
    fivexx = sum(1 for c in outside if c.status >= 500)
    transport = sum(1 for c in outside if c.status == 0)
    timeouts = sum(1 for c in outside if c.status == -1)
    lags = [(t, s, b) for t, s, b in shared.ready if b and (t < w0 or t > w1)]
    max_lag = max((max(v["seconds"] for v in b.get("lag", {}).values()) for _, _, b in lags
                   if b.get("lag")), default=0.0)
    max_records = max((max(v["records"] for v in b.get("lag", {}).values()) for _, _, b in lags
                       if b.get("lag")), default=0)
    over = sum(1 for _, s, b in lags if b.get("lag") and s == 200 and
               max(v["seconds"] for v in b["lag"].values()) > args.lag_bound)
    series = [max(v["seconds"] for v in b["lag"].values()) for _, _, b in lags if b.get("lag")]
    over_share = sum(1 for x in series if x > args.lag_bound) / max(len(series), 1)
    loads = [load for _, load in shared.loads]
    load1 = [x[0] for x in loads]
    writes = sum(1 for c in shared.calls if c.op.startswith("write"))
    return "\n".join([
        "# Soak: mixed search / match / writes with a SIGKILL and restart (issue 12)",
        "",
        f"Command: `nice -n 10 .venv/bin/python bench/soak.py --minutes {args.minutes:g} "
        f"--concurrency {args.concurrency} --write-rate {args.write_rate:g} "
        f"--lag-bound {args.lag_bound:g}`",
        f"Machine: {os.cpu_count()} cores, shared with other sessions; 1-minute load average "
        f"during the run min {min(load1):.1f} / median {statistics.median(load1):.1f} / "
        f"max {max(load1):.1f} (sampled every second).",
        "Server: `techmatch serve`, 1 worker, e5-small, samples (48 needs, 100 achievements, "
        "66 experts) plus the writes; TECHMATCH_INDEX_LAG_MAX_SECONDS="
        f"{args.lag_bound:g}.",
        f"Load: {args.concurrency} client threads for {args.minutes:g} min; each call picks "
        f"search (40%), match (35%) or a write (25%, paced to {args.write_rate:g} records/s "
        "overall: single upsert, batch of 3, CSV upload of 2).",
        f"SIGKILL at {w0 - started:.0f} s; restart window (kill → first /readyz 200) "
        f"{w1 - w0:.1f} s, of which {ready_after:.1f} s from the restart command to ready.",
        "",
        "## Outcome",
        "",
        "| check | result |",
        "|---|---|",
        f"| acknowledged write records | {len(shared.acked)} (in {writes} write calls) |",
        f"| lost (acknowledged, not in the store) | {len(lost)} |",
        f"| not searchable after the run (lexical search for the record's own token) | "
        f"{len(unsearchable)} |",
        f"| 5xx outside the restart window | {fivexx} |",
        f"| connection errors outside the restart window | {transport} |",
        f"| client timeouts (no answer in {CLIENT_TIMEOUT:g} s) outside the window | "
        f"{timeouts} |",
        f"| calls inside the restart window (errors expected) | {len(inside)} "
        f"({sum(1 for c in inside if c.status <= 0)} connection / timeout, "
        f"{sum(1 for c in inside if c.status >= 500)} 5xx) |",
        f"| largest index lag on /readyz outside the window | {max_lag:.1f} s, "
        f"{max_records} records |",
        f"| index lag p50 / p95 of the /readyz samples | {pct(series, 0.5):.1f} s / "
        f"{pct(series, 0.95):.1f} s; {over_share:.0%} of samples over the bound |",
        f"| /readyz 200 while over the {args.lag_bound:g} s bound | {over} |",
        f"| drain after load stopped (lag → 0) | {drain:.1f} s |",
        "",
        "## Latency outside the restart window (ms, successful calls)",
        "",
        "| operation | calls | 5xx | transport | 4xx | p50 | p99 |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--write-rate", type=float, default=2.0)
    parser.add_argument("--lag-bound", type=float, default=30.0)
    parser.add_argument("--home", type=Path, default=ROOT / "bench" / ".work" / "soak-home")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "soak.md")
    args = parser.parse_args()

    ids = seed(args.home)
    queries = [json.loads(line)["title"] for line in
               (SAMPLES / "needs.jsonl").read_text("utf-8").splitlines()]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server(args.home, port, args.home.parent / "soak-server.log", args.lag_bound)
    server.start()
    print(f"first start: ready after {wait_ready(url, 900):.1f} s", flush=True)
    shared = Shared()
    threads = [threading.Thread(target=Worker(n, url, shared, ids, queries, 1000 + n).run,
                                daemon=True) for n in range(args.concurrency)]
    threads += [threading.Thread(target=refill, args=(shared, args.write_rate), daemon=True),
                threading.Thread(target=monitor, args=(url, shared), daemon=True)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.minutes * 60 / 2)
    kill_at = time.monotonic()
    server.kill()
    print(f"SIGKILL at {kill_at - started:.0f} s", flush=True)
    server.start()
    ready_after = wait_ready(url, 900)
    window = (kill_at, time.monotonic())
    print(f"restarted: ready after {ready_after:.1f} s", flush=True)
    time.sleep(max(0.0, started + args.minutes * 60 - time.monotonic()))
    shared.stop.set()
    for thread in threads:
        thread.join(120)
    drain_start = time.monotonic()
    with httpx.Client(base_url=url, timeout=10) as client:
        while any(v["records"] for v in client.get("/readyz").json()["lag"].values()):
            time.sleep(0.5)
    drain = time.monotonic() - drain_start
    lost, unsearchable = verify(url, shared.acked)
    server.stop()
    text = report(args, shared, window, started, lost, unsearchable, ready_after, drain)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({
        "lost": lost, "unsearchable": unsearchable, "acked": len(shared.acked),
        "calls": len(shared.calls), "window_seconds": window[1] - window[0],
        "readyz": [[round(t - started, 1), status, {k: v["seconds"] for k, v in
                                                     body.get("lag", {}).items()}]
                   for t, status, body in shared.ready]}, indent=1),
        encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
