"""Build a synthetic home of N achievements (default 1,000,000) for the scale benchmarks.

    nice -n 15 .venv/bin/python bench/build_1m.py --out /tmp/tm-1m --step generate
    flock <lock> .venv/bin/python bench/build_1m.py --out /tmp/tm-1m --step sync   # timed
    (or --step all, the default; --records 100000 for a smaller home)

Text: every record recombines 2–3 documents of csl-kw-dev (`../shared/eval`, read by path):
the title of the first, one or two sentences of each. Vectors: a normalised mixture of the real
e5-small passage vectors of those source documents (read from the vector cache
`--source-cache`, default $TECHMATCH_CACHE_DIR or /tmp/tm-cache, filled by
`techmatch eval --dataset ../shared/eval/csl-kw-dev`), each weighted by the characters it
gave the record. Encoding a million passages here would take ~12 h; mixtures keep the
vectors' geometry (clusters, norms, dimension) real so that latency, memory and ANN recall are
measured at scale. Relevance on this corpus means nothing: quality is NOT measured at 1M.

Steps (timed per phase, written to <out>/generate.json and <out>/build.json): generate + store
upsert + vector-cache fill, then `Engine.sync` (tokenise in worker processes, tantivy, faiss
HNSW; `SyncReport.phases`) from the cached vectors, with an encoder that refuses to encode so
a cache miss fails instead of running for hours. Not part of `make test`;
`make bench-1m` runs this and `bench_1m.py`.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from techmatch.config import Settings  # noqa: E402
from techmatch.eval.datasets import read_corpus  # noqa: E402
from techmatch.indexers.ingest.normalize import normalize  # noqa: E402
from techmatch.indexers.vector_cache import CachedEncoder, text_key  # noqa: E402
from techmatch.matcher.engine import Engine  # noqa: E402
from techmatch.models.records import Achievement  # noqa: E402
from techmatch.store.vectors import VectorFile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "csl-kw-dev"
ENCODER_ID = "e5-small-q4@torch"
DIM = 384
CHUNK = 10_000
_SENTENCE = re.compile(r"[^。！？；;!?]+[。！？；;!?]?")
CITIES = [("苏州", "江苏"), ("南京", "江苏"), ("无锡", "江苏"), ("杭州", "浙江"), ("宁波", "浙江"),
          ("合肥", "安徽"), ("武汉", "湖北"), ("长沙", "湖南"), ("成都", "四川"), ("西安", "陕西"),
          ("广州", "广东"), ("深圳", "广东"), ("济南", "山东"), ("青岛", "山东"), ("郑州", "河南"),
          ("沈阳", "辽宁"), ("天津", "天津"), ("重庆", "重庆"), ("福州", "福建"), ("昆明", "云南")]
INDUSTRIES = ["新材料", "新能源", "高端装备制造", "生物医药", "人工智能", "集成电路",
              "节能环保", "新能源汽车", "现代农业", "海洋工程"]
TYPES = ["paper", "patent", "technology"]


class CacheOnlyEncoder:
    """Has e5-small's id and dim, never encodes: every passage must come from the cache."""

    id = ENCODER_ID
    dim = DIM

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("the 1M build never encodes queries")

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError(f"{len(texts)} passages are not in the vector cache; the build "
                           "would have to encode them (hours): rebuild with the same texts")


def cache_file(cache_dir: Path) -> Path:
    """The vector cache file `CachedEncoder` uses for e5-small."""
    return cache_dir / ("vectors-" + re.sub(r"[^\w.\-]+", "_", ENCODER_ID) + ".sqlite")


def dense_text(record: Achievement) -> str:
    """What the index encodes for a record (as `to_document` does)."""
    return normalize(record.text(), lower=False)


def sources(cache_dir: Path) -> tuple[list[Achievement], list[list[str]], np.ndarray]:
    """csl-kw-dev documents whose real e5-small vector is cached: records, sentences, vectors."""
    docs = [Achievement(id=d.id, title=d.title, abstract=d.text) for d in read_corpus(
        DEV / "corpus.jsonl")]
    cache = VectorFile(cache_file(cache_dir))
    found = cache.get_many(text_key(dense_text(d)) for d in docs)
    cache.close()
    keep = [d for d in docs if text_key(dense_text(d)) in found]
    vecs = np.stack([np.frombuffer(found[text_key(dense_text(d))], dtype=np.float32)
                     for d in keep]) if keep else np.zeros((0, DIM), np.float32)
    sents = [[s.strip() for s in _SENTENCE.findall(d.abstract) if len(s.strip()) >= 8]
             or [d.abstract[:120]] for d in keep]
    return keep, sents, vecs


def synthesize(n: int, seed: int, docs: list[Achievement], sents: list[list[str]],
               vecs: np.ndarray) -> Iterator[tuple[list[Achievement], np.ndarray]]:
    """Chunks of (records, vectors (len, DIM) float32, unit norm).

    All random draws of a chunk are numpy arrays (2–3 distinct source documents, one or two
    distinct sentences of each, facets); only the string joins run per record, and the
    mixtures are one weighted sum over the chunk.
    """
    rng = np.random.default_rng(seed)
    n_sents = np.asarray([len(x) for x in sents])
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        used = rng.integers(2, 4, size=size)  # source documents per record
        picks = _distinct_picks(rng, size, len(docs))
        pool = n_sents[picks]
        first = (rng.random((size, 3)) * pool).astype(np.int64)
        second = (first + 1 + (rng.random((size, 3)) * (pool - 1)).astype(np.int64)) % pool
        two = (rng.integers(1, 3, size=(size, 3)) == 2) & (pool > 1)
        city = rng.integers(len(CITIES), size=size)
        industry = rng.integers(len(INDUSTRIES), size=size)
        kind = rng.integers(len(TYPES), size=size)
        maturity = rng.integers(1, 10, size=size)
        weights = np.zeros((size, 3), dtype=np.float32)
        records = []
        for j in range(size):
            parts = []
            for p in range(int(used[j])):
                pool_j, a = sents[picks[j, p]], int(first[j, p])
                if two[j, p]:
                    b = int(second[j, p])
                    chosen = pool_j[min(a, b)] + pool_j[max(a, b)]
                else:
                    chosen = pool_j[a]
                parts.append(chosen)
                weights[j, p] = len(chosen)
            title = docs[picks[j, 0]].title
            weights[j, 0] += len(title)
            c, province = CITIES[city[j]]
            records.append(Achievement(
                id=f"syn-{start + j:07d}", title=title, abstract="".join(parts),
                type=TYPES[kind[j]],  # type: ignore[arg-type]
                industry=INDUSTRIES[industry[j]], city=c, province=province,
                maturity=int(maturity[j])))
        mix = np.einsum("ij,ijk->ik", weights, vecs[picks])
        yield records, (mix / np.linalg.norm(mix, axis=1, keepdims=True)).astype(np.float32)


def _distinct_picks(rng: np.random.Generator, size: int, n_docs: int) -> np.ndarray:
    """(size, 3) source document numbers, distinct within each row (redrawn until so)."""
    picks = rng.integers(n_docs, size=(size, 3))
    while True:
        bad = ((picks[:, 0] == picks[:, 1]) | (picks[:, 0] == picks[:, 2])
               | (picks[:, 1] == picks[:, 2]))
        if not bad.any():
            return picks
        picks[bad] = rng.integers(n_docs, size=(int(bad.sum()), 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/tm-1m"))
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--source-cache", type=Path,
                        default=Path(os.environ.get("TECHMATCH_CACHE_DIR", "/tmp/tm-cache")))
    parser.add_argument("--step", choices=("all", "generate", "sync"), default="all",
                        help="generate = records + vector cache only; sync = the index build "
                             "from the cached vectors only (the timed 'build'), after generate")
    parser.add_argument("--full", action="store_true",
                        help="with --step sync: rebuild the index from scratch (a new "
                             "generation) even when it is up to date")
    args = parser.parse_args()
    home = args.out / "home"
    cache_dir = args.out / "cache"
    settings = Settings(home=home, threads=args.threads, cache_dir=cache_dir)
    command = "bench/build_1m.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items())
    if args.step in ("all", "generate"):
        if home.exists():
            raise SystemExit(f"{home} exists: remove it first (the build is from scratch)")
        info = generate(args, settings, command)
        (args.out / "generate.json").write_text(json.dumps(info, ensure_ascii=False, indent=1),
                                                encoding="utf-8")
    if args.step in ("all", "sync"):
        info = json.loads((args.out / "generate.json").read_text(encoding="utf-8"))
        info["sync_command"] = command
        info.update(build_index(settings, cache_dir, full=args.full))
        (args.out / "build.json").write_text(json.dumps(info, ensure_ascii=False, indent=1),
                                             encoding="utf-8")
    print(json.dumps(info, ensure_ascii=False, indent=1))


def generate(args: argparse.Namespace, settings: Settings, command: str) -> dict[str, object]:
    """Records into the store and their mixture vectors into the vector cache (timed)."""
    info: dict[str, object] = {
        "command": command, "machine": f"{os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "load_start": os.getloadavg(), "nice": os.nice(0)}
    docs, sents, vecs = sources(args.source_cache)
    if len(docs) < 1000:
        raise SystemExit(f"only {len(docs)} csl-kw-dev vectors in {args.source_cache}: run "
                         "`techmatch eval --dataset ../shared/eval/csl-kw-dev` first")
    info["source_documents"] = len(docs)
    engine = Engine.open(settings, encoder=CachedEncoder(CacheOnlyEncoder(),
                                                         settings.vector_cache_dir))
    cache = VectorFile(cache_file(settings.vector_cache_dir))
    phases = {"generate": 0.0, "store_upsert": 0.0, "vector_cache_fill": 0.0}
    started = time.perf_counter()
    mark = started
    for i, (records, out) in enumerate(synthesize(args.records, args.seed, docs, sents, vecs)):
        now = time.perf_counter()
        phases["generate"] += now - mark
        engine.store.upsert(records)
        mark, now = now, time.perf_counter()
        phases["store_upsert"] += now - mark
        cache.put_many([(text_key(dense_text(r)), out[j].tobytes())
                        for j, r in enumerate(records)])
        mark = time.perf_counter()
        phases["vector_cache_fill"] += mark - now
        if i % 10 == 0:
            print(f"generated {(i + 1) * CHUNK:,} in {mark - started:.0f} s", flush=True)
    cache.close()
    engine.close()
    info["generate_store_cache_seconds"] = round(time.perf_counter() - started, 1)
    info["generate_phases_seconds"] = {k: round(v, 1) for k, v in phases.items()}
    info["load_after_generate"] = os.getloadavg()
    return info


def build_index(settings: Settings, cache_dir: Path, *, full: bool = False) -> dict[str, object]:
    """`Engine.sync` of the stored records from the cached vectors (the timed build)."""
    info: dict[str, object] = {"load_before_sync": os.getloadavg(), "sync_nice": os.nice(0)}
    cpu = time.process_time()
    engine = Engine.open(settings, encoder=CachedEncoder(CacheOnlyEncoder(), cache_dir))
    started = time.perf_counter()
    report = engine.sync(("achievement",), full=full)[0]
    info["sync_seconds"] = round(time.perf_counter() - started, 1)
    info["sync_main_process_cpu_seconds"] = round(time.process_time() - cpu, 1)
    info["sync_phases_seconds"] = {k: round(v, 1) for k, v in report.phases.items()}
    info["sync"] = {"upserted": report.upserted, "encoded": report.encoded,
                    "generation": report.generation}
    info["load_end"] = os.getloadavg()
    engine.close()
    return info


if __name__ == "__main__":
    main()
