"""Large builds tokenise in worker processes: same documents, same index as in-process."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from techmatch.config import Settings
from techmatch.eval.datasets import read_corpus
from techmatch.indexers.base import to_document
from techmatch.indexers.embedded import sync as sync_module
from techmatch.indexers.embedded.rows import Rows
from techmatch.indexers.factory import open_index, sync_index
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import Achievement
from techmatch.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
from contract import FakeEncoder  # noqa: E402

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "csl-kw-dev" / "corpus.jsonl"
KIND = "achievement"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.fixture(scope="module")
def records() -> list[Achievement]:
    docs = list(itertools.islice(read_corpus(DEV), 600))
    return [Achievement(id=d.id, title=d.title, abstract=d.text,
                        city=["苏州", "杭州", "南京"][i % 3]) for i, d in enumerate(docs)]


def test_worker_documents_equal_in_process_documents(tokenizer: Tokenizer,
                                                     records: list[Achievement]) -> None:
    serial = [d for b in sync_module._documents(records, tokenizer, workers=1) for d in b]
    batches = list(sync_module._documents(iter(records), tokenizer, workers=2,
                                          parallel_min=100))
    parallel = [d for b in batches for d in b]
    assert len(batches) == -(-len(records) // sync_module.BATCH)
    assert parallel == serial == [to_document(r, tokenizer) for r in records]
    assert sum(len(d.tokens) for d in parallel) > 10 * len(records)


def test_a_parallel_build_equals_an_in_process_build(tmp_path: Path, tokenizer: Tokenizer,
                                                     records: list[Achievement],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def build(name: str) -> tuple[Settings, object]:
        settings = Settings(home=tmp_path / name, threads=2, cache_dir=tmp_path / "c")
        store = Store(settings.home / "store.sqlite")
        store.upsert(records)
        report = sync_index(settings, KIND, store, encoder=FakeEncoder(), tokenizer=tokenizer)
        return settings, report

    monkeypatch.setattr(sync_module, "PARALLEL_MIN", 10_000)
    serial_settings, serial = build("serial")
    monkeypatch.setattr(sync_module, "PARALLEL_MIN", 100)
    parallel_settings, parallel = build("parallel")
    assert serial.upserted == parallel.upserted == len(records)  # type: ignore[attr-defined]
    assert {"tokenise", "lexical_add", "dense_save"} <= set(parallel.phases)  # type: ignore[attr-defined]
    a = open_index(serial_settings, KIND, encoder=FakeEncoder(), tokenizer=tokenizer)
    b = open_index(parallel_settings, KIND, encoder=FakeEncoder(), tokenizer=tokenizer)
    rows_a, rows_b = Rows.load(a.folder), Rows.load(b.folder)  # type: ignore[attr-defined]
    assert rows_a.ids == rows_b.ids and np.array_equal(rows_a.codes["city"],
                                                       rows_b.codes["city"])
    for record in records[::60]:
        tokens = tokenizer.tokens(record.title)
        found_a, found_b = a.search_lexical(tokens, k=10), b.search_lexical(tokens, k=10)
        assert record.id in found_a.ids and np.allclose(found_a.scores, found_b.scores)
        above = found_a.scores > found_a.scores[-1]  # the k-th score may tie across the cut
        assert found_a.ids[:int(above.sum())] == found_b.ids[:int(above.sum())]
