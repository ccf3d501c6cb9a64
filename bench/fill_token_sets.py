"""One-off: fill the token-set cache of an existing home (built before index sync did it).

`OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python bench/fill_token_sets.py --home H --cache C`
tokenises every stored record's `text()` of the kind in `--workers` forked processes and
writes `<cache>/tokensets.sqlite` (what `Engine.sync` now does for the records it indexes).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from techmatch.config import Settings  # noqa: E402
from techmatch.indexers.token_cache import TokenSets, token_row  # noqa: E402
from techmatch.indexers.tokenize import Tokenizer  # noqa: E402
from techmatch.store.factory import open_store  # noqa: E402

_TOKENIZER: Tokenizer | None = None


def _init(tokenizer: Tokenizer) -> None:
    global _TOKENIZER
    _TOKENIZER = tokenizer


def _rows(texts: list[str]) -> list[tuple[str, str]]:
    assert _TOKENIZER is not None
    return [token_row(_TOKENIZER, t) for t in texts]


def _batches(texts, size: int):  # type: ignore[no-untyped-def]
    it = iter(texts)
    while batch := list(itertools.islice(it, size)):
        yield batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--kind", default="achievement")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    settings = Settings(home=args.home, threads=1, cache_dir=args.cache)
    store = open_store(settings)
    tokenizer = Tokenizer(user_dict=settings.user_dict, stopwords=settings.stopwords)
    sets = TokenSets(tokenizer, settings.vector_cache_dir)
    started = time.perf_counter()
    texts = (r.text() for r in store.iter_records(args.kind))
    done = 0
    with multiprocessing.get_context("fork").Pool(args.workers, initializer=_init,
                                                  initargs=(tokenizer,)) as pool:
        for rows in pool.imap(_rows, _batches(texts, 1000)):
            sets.put_rows(rows)
            done += len(rows)
            if done % 100_000 == 0:
                print(f"{done} {time.perf_counter() - started:.0f} s", flush=True)
    print(f"filled {done} token sets in {time.perf_counter() - started:.0f} s; "
          f"file holds {sets.count()}", flush=True)
    sets.close()


if __name__ == "__main__":
    main()
