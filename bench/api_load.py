"""Loopback load test of the HTTP API: throughput and p50 / p99 latency of search and match
with 1 and 2 uvicorn workers, next to a minimal FastAPI endpoint returning a constant,
measured in the same run. Bounded: fixed duration per scenario, 127.0.0.1 only. Before the
HTTP rows, the same queries in process (no HTTP, one at a time): explained and bare search,
match of a stored need, the query encoder alone, and a peer stack (bm25s + faiss flat + RRF).
With 2 workers the explained-search requests are also sent by wrk (row 'api search, wrk'; C,
one thread, a Lua script written to a temp file): the Python client's own CPU (~2.3 ms per
request) shares the two cores with the server; without `wrk` on PATH the row says so.

    .venv/bin/python bench/api_load.py [--home DIR] [--seconds 10] [--concurrency 8]

--home (default /tmp/techmatch-bench-samples) is built from data/samples when it has no
store yet (encodes ~210 records once). The dev-corpus home (`api_load_dev.md`):

    export TECHMATCH_HOME=/tmp/apibench TECHMATCH_CACHE_DIR=/tmp/tm-cache
    techmatch ingest ../shared/eval/csl-kw-dev/corpus.jsonl --kind achievement
    techmatch ingest data/samples/needs.jsonl --kind need
    techmatch ingest data/samples/experts.jsonl --kind expert

Writes bench/results/api_load.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from bench_report import fmt_load
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
KEY = "bench-admin-key"


def const_app() -> FastAPI:
    """The baseline: FastAPI + uvicorn cost with no work behind it."""
    app = FastAPI()

    @app.get("/const")
    def const() -> dict[str, str]:
        return {"status": "ok"}

    return app


@dataclass
class Result:
    scenario: str
    workers: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu: float = float("nan")  # CPU seconds of the uvicorn process tree over the row
    client_cpu: float = float("nan")  # CPU seconds of the load generator (this process or wrk)
    quantiles: dict[float, float] | None = None  # ms, when the client reports them (wrk)
    note: str = ""  # why a row has no numbers (wrk not installed)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")

    def cpu_ms(self, seconds: float) -> float:
        """CPU milliseconds per request."""
        return 1000 * seconds / self.requests if self.requests else float("nan")

    def pct(self, q: float) -> float:
        if self.quantiles is not None:
            return self.quantiles.get(q, float("nan"))
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


def build_samples_home(home: Path) -> Path:
    from techmatch.cli.demo import load_samples
    from techmatch.config import Settings
    from techmatch.matcher.engine import Engine

    engine = Engine.open(Settings(home=home, threads=1))
    load_samples(engine)
    engine.sync()
    engine.close()
    return home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(target: str, workers: int, port: int, env: dict[str, str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning",
           "--app-dir", str(ROOT / "bench") if "const_app" in target else str(ROOT)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its descendants (the workers)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        todo += [int(k) for k in kids]
    return total


def measured(url: str, requests: list[tuple[str, str, dict | None]], seconds: float,
             concurrency: int, pid: int) -> tuple[int, int, float, list[float], float, float]:
    """`load` with the server tree's and this process's CPU seconds over it (CPU per request
    is steadier than req/s on a shared machine: other sessions' jobs take wall time, not
    the server's CPU)."""
    server, client = tree_cpu(pid), time.process_time()
    n, errors, elapsed, lat = asyncio.run(load(url, requests, seconds, concurrency))
    return (n, errors, elapsed, lat, tree_cpu(pid) - server, time.process_time() - client)


def wait_up(url: str, path: str, workers: int, timeout: float = 300) -> None:
    """Until `path` answers 200 several times in a row (every worker has loaded)."""
    deadline, streak = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and streak < 4 * workers:
        try:
            ok = httpx.get(url + path, timeout=5).status_code == 200
        except httpx.TransportError:
            ok = False
        streak = streak + 1 if ok else 0
        time.sleep(0.05 if ok else 0.5)
    if streak < 4 * workers:
        raise RuntimeError(f"{url}{path} not ready after {timeout}s")


async def load(url: str, requests: list[tuple[str, str, dict | None]], seconds: float,
               concurrency: int) -> tuple[int, int, float, list[float]]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    # A new connection per request: with keep-alive the kernel hands the client's few
    # long-lived connections to whichever worker accepts first, often all to one of the two,
    # and the 2-worker rows then measured anything from one worker's rate to two (10-19 req/s
    # for explained search on the dev corpus in three runs).
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": KEY}, timeout=30,
                                 limits=limits) as client:
        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < stop:
                method, path, body = requests[i % len(requests)]
                i += concurrency
                t0 = time.perf_counter()
                response = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - t0)
                errors += response.status_code != 200

        start_t = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - start_t
    return len(latencies), errors, elapsed, latencies


def json_body(body: dict) -> bytes:
    """The bytes httpx sends for `json=body` (0.28: UTF-8, compact separators)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def lua_string(data: bytes) -> str:
    """`data` as a Lua long-bracket literal (raw UTF-8, no escapes to get wrong)."""
    text = data.decode("utf-8")
    level = 0
    while "]" + "=" * level + "]" in text:
        level += 1
    return "[" + "=" * level + "[" + text + "]" + "=" * level + "]"


def wrk_script(requests: list[tuple[str, str, dict | None]]) -> str:
    """A wrk script sending `requests` in turn, over all connections (one thread, one Lua
    state): the same bodies in the same cycle as the Python client, the same API key, and a
    new connection per request like `load` (`Connection: close`: uvicorn closes after the
    response and wrk reconnects; connect time is then outside wrk's latency)."""
    if any(method != "POST" or body is None for method, _, body in requests):
        raise ValueError("wrk rows send POST requests with a JSON body only")
    paths = ",\n".join(f"  {lua_string(path.encode())}" for _, path, _ in requests)
    bodies = ",\n".join(f"  {lua_string(json_body(body))}" for _, _, body in requests
                        if body is not None)
    return (f'wrk.method = "POST"\n'
            f'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["X-API-Key"] = {lua_string(KEY.encode())}\n'
            f'wrk.headers["Connection"] = "close"\n'
            f"local paths = {{\n{paths}\n}}\n"
            f"local bodies = {{\n{bodies}\n}}\n"
            "local i = 0\n"
            "request = function()\n"
            "  i = i % #bodies + 1\n"
            "  return wrk.format(nil, paths[i], nil, bodies[i])\n"
            "end\n")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(out: str) -> tuple[int, int, float, dict[float, float]]:
    """Completed requests, errors (non-2xx/3xx responses + socket errors), req/s and the
    latency quantiles (ms) from `wrk --latency` output."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    done = re.search(r"^\s*(\d+) requests in ", out, re.M)
    if rps is None or done is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(g) for g in sock.groups()) if sock else 0)
    quantiles = {int(q) / 100: float(v) * _UNITS[u] for q, v, u in
                 re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M)}
    return int(done.group(1)), errors, float(rps.group(1)), quantiles


def verify(url: str, requests: list[tuple[str, str, dict | None]]) -> str:
    """'' when every distinct request answers 200 with at least one hit, else what failed:
    the wrk row then is not run (its requests would not be real searches)."""
    seen: set[bytes] = set()
    for method, path, body in requests:
        key = method.encode() + path.encode() + (json_body(body) if body else b"")
        if key in seen:
            continue
        seen.add(key)
        response = httpx.request(method, url + path, content=json_body(body) if body else None,
                                 headers={"X-API-Key": KEY,
                                          "Content-Type": "application/json"}, timeout=30)
        if response.status_code != 200 or not response.json().get("hits"):
            return f"check failed: {path} {body} → {response.status_code} {response.text[:200]}"
    return ""


def wrk_row(name: str, workers: int, url: str, requests: list[tuple[str, str, dict | None]],
            seconds: float, concurrency: int, pid: int) -> Result:
    """The same requests driven by wrk (C, one thread, `concurrency` connections): a lean
    load generator beside the Python one, whose own CPU (~2 ms per request) shares the two
    cores with the server. Server CPU from the process tree as for the other rows; wrk's CPU
    from RUSAGE_CHILDREN (the servers still running are not yet waited for, so only wrk
    counts)."""
    exe = shutil.which("wrk")
    if exe is None:
        return Result(name, workers, 0, 0, 0.0, [], note="wrk not installed (apt-get install wrk)")
    problem = verify(url, requests)
    if problem:
        return Result(name, workers, 0, 0, 0.0, [], note=problem)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8",
                                     delete=False) as f:
        f.write(wrk_script(requests))
    try:
        server = tree_cpu(pid)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([exe, "-t", "1", "-c", str(concurrency), "-d", f"{seconds:g}s",
                              "--timeout", "30s", "--latency", "-s", f.name, url],
                             capture_output=True, text=True, check=True,
                             timeout=seconds + 60).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server = tree_cpu(pid) - server
    finally:
        os.unlink(f.name)
    client = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    n, errors, rps, quantiles = parse_wrk(out)
    return Result(name, workers, n, errors, n / rps if rps else 0.0, [], server, client, quantiles)


def scenarios() -> dict[str, list[tuple[str, str, dict | None]]]:
    needs = [json.loads(line) for line in (SAMPLES / "needs.jsonl").read_text("utf-8")
             .splitlines() if line.strip()]
    needs = [n for n in needs if not n.get("confidential")]
    search = [("POST", "/v1/search", {"kind": "achievement", "text": n["title"], "k": 10})
              for n in needs]
    bare = [("POST", "/v1/search", {"kind": "achievement", "text": n["title"], "k": 10,
                                     "explain": False}) for n in needs]
    match = [("GET", f"/v1/match/needs/{n['id']}?target=achievement&k=10", None)
             for n in needs]
    return {"search": search, "search explain=false": bare, "match": match}


def inprocess(home: Path, passes: int = 3, threads: int = 1) -> list[list[str]]:
    """Latency without HTTP, one query at a time in this process (one thread): the service's
    explained search, bare search and match of a stored need; the query encoder alone; and a
    peer stack on the same corpus, tokens and vectors — bm25s top-50 + faiss exact inner
    product top-50 + RRF, query encoding included, no features and no explanations."""
    import bm25s
    import faiss
    import numpy as np
    from bench_report import latencies

    from techmatch.config import Settings
    from techmatch.indexers.base import Candidates
    from techmatch.indexers.ingest.normalize import normalize
    from techmatch.matcher.engine import Engine
    from techmatch.matcher.fusion.rrf import rrf
    from techmatch.matcher.service import MatchService

    engine = Engine.open(Settings(home=home, threads=threads))
    service = MatchService(engine)
    needs = [n for _, _, n in scenarios()["search"]]
    titles = [str(b["text"]) for b in needs if b is not None]
    stored = [path.split("/")[4].split("?")[0] for _, path, _ in scenarios()["match"]]
    n = len(titles) * passes
    ids, corpus = [], []
    for record in engine.store.iter_records("achievement"):
        ids.append(record.id)
        corpus.append(engine.tokenizer.tokens(record.text()))
    bm25 = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    bm25.index(corpus, show_progress=False)
    vocab = bm25.vocab_dict
    flat = faiss.IndexFlatIP(engine.encoder.dim)
    flat.add(engine.index("achievement").vectors(ids).astype(np.float32))

    def peer(i: int) -> None:
        text = titles[i % len(titles)]
        vec = engine.encoder.encode_queries([normalize(text, lower=False)])
        toks = [t for t in dict.fromkeys(engine.tokenizer.tokens(text)) if t in vocab]
        lex = Candidates([], np.zeros(0))
        if toks:
            docs, scores = bm25.retrieve([toks], k=50, show_progress=False, n_threads=0)
            lex = Candidates([ids[j] for j in docs[0]], scores[0].astype(np.float64))
        dist, rows = flat.search(vec, 50)
        rrf([lex, Candidates([ids[j] for j in rows[0]], dist[0].astype(np.float64))])

    cases = {
        "service search, explained (hybrid + features + explanations)":
            lambda i: service.search(titles[i % len(titles)], kind="achievement", k=10),
        "service search explain=false":
            lambda i: service.search(titles[i % len(titles)], kind="achievement", k=10,
                                     explain=False),
        "service match of a stored need, explained":
            lambda i: service.match_need(stored[i % len(stored)], target="achievement", k=10),
        "query encoding alone (e5-small, one title)":
            lambda i: engine.encoder.encode_queries([normalize(titles[i % len(titles)],
                                                               lower=False)]),
        "peer: bm25s + faiss flat + RRF top-50 (encoding included)": peer,
    }
    rows = []
    for name, fn in cases.items():
        ms = latencies(fn, n)
        rows.append([name, f"{np.percentile(ms, 50):.1f}", f"{np.percentile(ms, 99):.1f}",
                     f"{ms.mean():.1f}", str(n)])
        print(f"{name}: p50 {rows[-1][1]} ms", flush=True)
    engine.close()
    return rows


def run(home: Path, seconds: float, concurrency: int, threads: int = 1) -> list[Result]:
    from techmatch.api.security import hash_key

    env = {**os.environ, "TECHMATCH_HOME": str(home), "TECHMATCH_THREADS": str(threads),
           "OMP_NUM_THREADS": str(threads), "TECHMATCH_API_KEYS": f"admin:{hash_key(KEY)}"}
    results = []
    for workers in (1, 2):
        for name, target, ready, reqs in (
                ("constant", "api_load:const_app", "/const", [("GET", "/const", None)]),
                *(("api " + k, "techmatch.api.app:create_app", "/readyz", v)
                  for k, v in scenarios().items())):
            port = free_port()
            proc = start(target, workers, port, env)
            try:
                url = f"http://127.0.0.1:{port}"
                wait_up(url, ready, workers)
                asyncio.run(load(url, reqs[:4], 2.0, concurrency))  # warm-up, discarded
                results.append(Result(name, workers,
                                      *measured(url, reqs, seconds, concurrency, proc.pid)))
                rows = 1
                if workers == 2 and name == "api search":
                    # the same requests from wrk, on the same server right after
                    results.append(wrk_row(name + ", wrk", workers, url, reqs, seconds,
                                           concurrency, proc.pid))
                    rows += 1
                if workers == 2 and name in ("api search", "api match"):
                    # one client: latency without queueing (at concurrency c, p50 is about
                    # c / throughput by Little's law, whatever one request costs)
                    results.append(Result(name + ", 1 client", workers,
                                          *measured(url, reqs, seconds, 1, proc.pid)))
                    rows += 1
                for r in results[-rows:]:
                    print(f"{r.scenario:12s} workers={workers} {r.rps:8.1f} req/s  "
                          f"p50={r.pct(0.5):7.1f} ms  p99={r.pct(0.99):7.1f} ms"
                          f"  server CPU {r.cpu_ms(r.server_cpu):.1f} ms/req"
                          f"  client CPU {r.cpu_ms(r.client_cpu):.1f} ms/req"
                          f"  errors={r.errors} {r.note}", flush=True)
            finally:
                proc.terminate()
                proc.wait(30)
    return results


def scheduling() -> str:
    """This process's autogroup and its nice. With `kernel.sched_autogroup_enabled` = 1 the
    CPU is shared between sessions first and by nice only inside a session, so other sessions'
    `nice -n 15` jobs take an equal share from a bench at nice 0 unless the bench's own
    session is given weight (`echo -15 > /proc/self/autogroup` in a `setsid` shell)."""
    try:
        enabled = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip()
        group = Path("/proc/self/autogroup").read_text().strip()
    except OSError:
        return "autogroup unknown"
    return f"sched_autogroup_enabled={enabled}, this run's session {group}"


def report(results: list[Result], home: Path, seconds: float, concurrency: int,
           out: Path, local: list[list[str]], load: tuple[tuple[float, ...], ...],
           threads: int = 1) -> None:
    from techmatch.config import Settings
    from techmatch.matcher.engine import STORE_FILE
    from techmatch.store import Store

    store = Store(home / STORE_FILE)
    sizes = ", ".join(f"{k} {store.count(k)}" for k in ("need", "achievement", "expert"))
    store.close()
    lines = [
        "# API load (loopback)", "",
        f"Command: `.venv/bin/python bench/api_load.py {' '.join(sys.argv[1:])}`  ",
        f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}  ",
        f"Corpus: {home} ({sizes}); encoder {Settings().encoder}; {threads} encoder / faiss "
        f"thread(s) per worker (TECHMATCH_THREADS); "
        f"the load generator "
        f"(httpx, asyncio, {concurrency} connections) runs on the same cores; the row "
        f"'api search, wrk' sends the same requests from wrk 4.1 (C, one thread, "
        f"{concurrency} connections, a Lua script cycling over the same bodies, same API key), "
        f"on the same server right after the Python row, its responses first checked "
        f"(200 with hits for every distinct body); wrk's latency excludes the connect, its "
        f"client CPU is wrk's own (RUSAGE_CHILDREN) and its errors are non-2xx/3xx responses "
        f"plus socket errors.  ",
        f"Each row: {seconds:g} s after a 2 s warm-up; latency per request, client side; a new "
        f"TCP connection per request (no keep-alive), so the kernel spreads requests over the "
        f"workers; server CPU = user + system CPU of the uvicorn process tree over the row "
        f"(/proc), client CPU = the load generator's, both per request.  ",
        f"Load average (1/5/15 min) before {fmt_load(load[0])}, after {fmt_load(load[1])}; "
        f"timed runs hold `/tmp/helpers/bench.lock`, so no other timed bench ran meanwhile "
        f"(untimed jobs of other sessions did, at nice 15).  ",
        f"Scheduling: {scheduling()}", "",
        "## In process (no HTTP), one query at a time", "",
        "| path | p50 ms | p99 ms | mean ms | calls |", "|---|---:|---:|---:|---:|",
        *["| " + " | ".join(r) + " |" for r in local], "",
        "## HTTP (loopback)", "",
        "| scenario | workers | requests | errors | req/s | p50 ms | p99 ms | server CPU ms/req "
        "| client CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.note:
            lines.append(f"| {r.scenario} | {r.workers} | – | – | – | – | – | – | – "
                         f"({r.note}) |")
            continue
        lines.append(f"| {r.scenario} | {r.workers} | {r.requests} | {r.errors} | "
                     f"{r.rps:.1f} | {r.pct(0.5):.1f} | {r.pct(0.99):.1f} | "
                     f"{r.cpu_ms(r.server_cpu):.1f} | {r.cpu_ms(r.client_cpu):.1f} |")
    mean = {(r.scenario, r.workers): statistics.mean(r.latencies) * 1000 for r in results
            if r.latencies}
    lines += ["", "Mean latency (ms): " + ", ".join(f"{s} ×{w}: {v:.1f}"
                                                     for (s, w), v in mean.items()), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, default=Path(tempfile.gettempdir()) /
                        "techmatch-bench-samples")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "api_load.md")
    parser.add_argument("--threads", type=int, default=1,
                        help="TECHMATCH_THREADS of the workers and of the in-process rows "
                             "(torch intra-op / faiss threads; the default is 1)")
    parser.add_argument("--inprocess", action=argparse.BooleanOptionalAction, default=True,
                        help="also time search / match / a bm25s + faiss peer without HTTP")
    args = parser.parse_args()
    from techmatch.matcher.engine import STORE_FILE

    home = args.home if (args.home / STORE_FILE).exists() else build_samples_home(args.home)
    before = os.getloadavg()
    local = inprocess(home, threads=args.threads) if args.inprocess else []
    results = run(home, args.seconds, args.concurrency, args.threads)
    report(results, home, args.seconds, args.concurrency, args.out, local,
           (before, os.getloadavg()), args.threads)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
