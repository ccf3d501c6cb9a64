"""Staff console: server-side render time of the matching page and the record lists on the
dev corpus, next to the JSON API answering the same question in the same run.

    OMP_NUM_THREADS=1 .venv/bin/python bench/console_bench.py [--rounds 3] [--limit 5659]
        [--work bench/.work]

Corpus (read at run time, nothing copied): the first --limit csl-kw-dev papers/patents
(all 5,659 by default) as achievements next to data/samples (48 needs, 100 achievements, 66
experts), indexed with e5-small through the vector cache in <work>/cache (a rerun re-encodes
nothing).

Measured in-process through the ASGI app (starlette's TestClient: routing, dependencies,
service call, Jinja2 rendering; no network, no browser): the time from request to the full
HTML body. Peers, same process, same warm service:
- 匹配 page `/needs/{id}/match` (k=10, explanations, highlighting, signal bars)
  vs `GET /v1/match/needs/{id}?k=10` (same ranking and explanations, JSON);
- 成果库 list page 1 (20 rows) vs `GET /v1/achievements?limit=20`;
- 成果库 filtered by industry, and a search-box query (hybrid search, 100 hits paged);
- 需求库 list page 1.
Each need is matched once before timing (encoder, caches warm). Writes
bench/results/console_bench.md with the command and the machine load.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from itertools import islice  # noqa: E402
from pathlib import Path  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402

from techmatch.api.app import create_app  # noqa: E402
from techmatch.api.security import hash_key  # noqa: E402
from techmatch.cli.demo import load_samples  # noqa: E402
from techmatch.config import Settings  # noqa: E402
from techmatch.eval.datasets import read_corpus  # noqa: E402
from techmatch.matcher.engine import Engine  # noqa: E402
from techmatch.models.records import Achievement  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "eval" / "csl-kw-dev"
OUT = ROOT / "bench" / "results" / "console_bench.md"
KEY = "console-bench-admin"
NEEDS = ("N001", "N002", "N012", "N020", "N033", "N040")


def build_home(home: Path, cache: Path, limit: int) -> Path:
    """Samples + the dev corpus as achievements, indexed (once; reused when present)."""
    settings = Settings(home=home, threads=1, cache_dir=cache)
    engine = Engine.open(settings)
    try:
        if engine.store.count("achievement") < 100 + limit:
            load_samples(engine)
            corpus = read_corpus(DATA / "corpus.jsonl")
            docs = [Achievement(id=f"csl-{d.id}", title=d.title[:500], abstract=d.text[:20_000],
                                type="paper") for d in islice(corpus, limit)]
            engine.store.upsert(docs)
        engine.sync()
    finally:
        engine.close()
    return home


def login(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    answer = client.post("/login", data={"api_key": KEY, "csrf_token": token.group(1),
                                         "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def get_ok(client: TestClient, path: str, headers: dict[str, str] | None = None) -> None:
    answer = client.get(path, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=5659, help="dev records to load")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work")
    args = parser.parse_args()
    home = build_home(args.work / f"console-home-{args.limit}", args.work / "cache", args.limit)
    settings = Settings(home=home, threads=1, cache_dir=args.work / "cache",
                        api_keys=f"admin:{hash_key(KEY)}")
    api = {"X-API-Key": KEY}
    rows: list[tuple[str, list[float]]] = []
    with TestClient(create_app(settings)) as client:
        while client.get("/readyz").status_code != 200:
            time.sleep(0.2)
        login(client)
        for need in NEEDS:  # warm: encoder, token caches, retriever
            get_ok(client, f"/needs/{need}/match")
        cases: list[tuple[str, Callable[[], None]]] = [
            ("匹配页 /needs/{id}/match（6 个需求）", lambda: [
                get_ok(client, f"/needs/{n}/match") for n in NEEDS] and None),
            ("peer: GET /v1/match/needs/{id}?k=10（同 6 个需求）", lambda: [
                get_ok(client, f"/v1/match/needs/{n}?k=10", api) for n in NEEDS] and None),
            ("成果库第 1 页 /achievements", lambda: get_ok(client, "/achievements")),
            ("peer: GET /v1/achievements?limit=20", lambda: get_ok(
                client, "/v1/achievements?limit=20", api)),
            ("成果库第 50 页 /achievements?page=50", lambda: get_ok(client,
                                                                   "/achievements?page=50")),
            ("成果库按行业筛选 /achievements?industry=新材料", lambda: get_ok(
                client, "/achievements?industry=新材料")),
            ("成果库检索 /achievements?q=锂电池隔膜", lambda: get_ok(
                client, "/achievements?q=锂电池隔膜")),
            ("需求库第 1 页 /needs", lambda: get_ok(client, "/needs")),
        ]
        for name, fn in cases:
            fn()  # one untimed call per case (first-use caches)
            samples = timed(fn, args.rounds)
            per = 6 if "6 个需求" in name else 1
            rows.append((name, [s / per for s in samples]))
    write(rows, args, home)


def write(rows: list[tuple[str, list[float]]], args: argparse.Namespace, home: Path) -> None:
    load = os.getloadavg()
    lines = ["# Staff console render time (server side)", "",
             f"Command: `OMP_NUM_THREADS=1 .venv/bin/python bench/console_bench.py --rounds "
             f"{args.rounds} --limit {args.limit}`  ",
             f"Machine: {os.cpu_count()} cores, CPython {platform.python_version()}, "
             f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
             f"(a shared VM: other jobs ran at the same time)  ",
             f"Corpus: the first {args.limit:,} of the 5,659 csl-kw-dev papers/patents + 100 "
             f"sample achievements, 48 sample needs, 66 experts; encoder e5-small, one "
             f"thread.  ",
             "Time: request → complete HTML / JSON body through the ASGI app in-process "
             "(TestClient), warm caches; per page (match rows: mean per need).", "",
             "| page | rounds | median ms | min ms | max ms |", "|---|---:|---:|---:|---:|"]
    for name, samples in rows:
        lines.append(f"| {name} | {len(samples)} | {statistics.median(samples):.1f} | "
                     f"{min(samples):.1f} | {max(samples):.1f} |")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
