"""Bring the embedded index of one kind up to date with the store and publish a new generation.

Incremental by default: the store's changes after the current generation's `applied_seq` are
applied on top of it (tantivy: delete by id + add, on hard-linked segment files; dense: rows of
changed ids become dead, unchanged vectors are copied, never re-encoded). `full=True`, a missing
generation or one built with another encoder / tokenizer / schema rebuilds from the store. Text
is encoded through the content-hash vector cache (`settings.vector_cache_dir`, default
`<home>/cache`), so a full rebuild re-encodes only text it has never seen. The token set of
each indexed record's `text()` goes to the token-set cache beside it
(`techmatch.indexers.token_cache`), tokenised in the same pass (and the same worker processes)
as the index documents, so queries read their candidates' sets instead of tokenising them.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import shutil
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from techmatch.config import Settings
from techmatch.errors import IndexError_
from techmatch.indexers.base import UP_TO_DATE, Document, Progress, SyncReport, to_document
from techmatch.indexers.embedded.dense import load_vectors, save_dense
from techmatch.indexers.embedded.generations import (
    Manifest,
    build_lock,
    collect_garbage,
    kind_dir,
    new_tmp,
    publish,
    read_current,
    resolved_settings,
    verify,
)
from techmatch.indexers.embedded.lexical import LexicalWriter
from techmatch.indexers.embedded.rows import Rows, RowsAppender
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.token_cache import TokenSets, token_row
from techmatch.indexers.tokenize import Tokenizer
from techmatch.indexers.vector_cache import CachedEncoder
from techmatch.models.records import Record
from techmatch.store import Store

BATCH = 256
PARALLEL_MIN = 50_000  # records: a build this large tokenises in `threads` worker processes


@dataclass
class _Plan:
    """Records to (re)index, ids to drop from the previous generation, the seq reached."""

    records: Iterable[Record]
    removed: list[str] = field(default_factory=list)
    deleted: int = 0
    applied_seq: int = 0


class _CountingEncoder:
    """Pass-through that counts passages really encoded (cache misses)."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.encoded = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        return self.inner.encode_passages(texts)


def sync_embedded(settings: Settings, kind: str, store: Store, *, encoder: Encoder,
                  tokenizer: Tokenizer, full: bool = False,
                  progress: Progress | None = None) -> SyncReport:
    """Apply the store's changes (everything when `full`) and publish a generation."""
    started = time.perf_counter()
    faiss.omp_set_num_threads(settings.threads)
    root = kind_dir(settings, kind)
    report = SyncReport(kind=kind, full=full)
    with build_lock(root, kind):
        current = read_current(root)
        previous = None if full else _usable_previous(root, current, kind, encoder, tokenizer,
                                                      report)
        report.full = previous is None
        plan = _plan(store, kind, previous)
        if plan is not None:
            report.generation = _build(settings, root, kind, plan, previous, encoder=encoder,
                                       tokenizer=tokenizer, report=report, progress=progress)
            report.applied_seq = plan.applied_seq
        elif previous is not None:  # nothing changed since the current generation
            report.generation, report.applied_seq = previous[0].name, previous[1].applied_seq
            report.notes.append(UP_TO_DATE)
        collect_garbage(root, current)
    report.seconds = time.perf_counter() - started
    return report


def _usable_previous(root: Path, current: str | None, kind: str, encoder: Encoder,
                     tokenizer: Tokenizer, report: SyncReport) -> tuple[Path, Manifest] | None:
    """The current generation if it can be extended; otherwise None (with a note why)."""
    if current is None:
        return None
    folder = root / current
    try:
        manifest = Manifest.load(folder)
        manifest.check(kind=kind, encoder_id=encoder.id, encoder_dim=encoder.dim,
                       fingerprint=tokenizer.fingerprint)
        verify(folder, manifest, deep=False)
    except IndexError_ as exc:
        report.notes.append(f"已完整重建：{exc}")
        return None
    return folder, manifest


def _plan(store: Store, kind: str, previous: tuple[Path, Manifest] | None) -> _Plan | None:
    if previous is None:
        seq = store.last_seq(kind)  # read first: later changes are re-applied next time
        return _Plan(records=store.iter_records(kind), applied_seq=seq)
    changes = store.changes_since(previous[1].applied_seq, kind)
    if not changes:
        return None
    wanted = [c.id for c in changes if c.op == "upsert"]
    found = {rid: r for rid, r in store.get_many(wanted).items() if r.kind == kind}
    records = [found[rid] for rid in wanted if rid in found]
    changed = [c.id for c in changes]
    return _Plan(records=records, removed=changed, deleted=len(changed) - len(records),
                 applied_seq=max(c.seq for c in changes))


def _build(settings: Settings, root: Path, kind: str, plan: _Plan,
           previous: tuple[Path, Manifest] | None, *, encoder: Encoder, tokenizer: Tokenizer,
           report: SyncReport, progress: Progress | None) -> str:
    """Write a new generation in a temp folder and publish it; the temp folder never survives."""
    prev_folder = previous[0] if previous else None
    counting = _CountingEncoder(encoder.inner if isinstance(encoder, CachedEncoder) else encoder)
    cached = CachedEncoder(counting, settings.vector_cache_dir)
    token_sets = TokenSets(tokenizer, settings.vector_cache_dir)
    tmp = new_tmp(root)
    try:
        rows = Rows.load(prev_folder) if prev_folder else Rows()
        old_vectors = (np.asarray(load_vectors(prev_folder)) if prev_folder
                       else np.zeros((0, encoder.dim), dtype=np.float32))
        rows.kill(plan.removed)
        lexical = LexicalWriter(tmp, prev_folder, threads=settings.threads)
        lexical.delete(plan.removed)
        next_key = previous[1].next_key if previous else 0
        new_vectors = [old_vectors]
        appender = RowsAppender(rows)
        timer = _Timer(report.phases)
        with contextlib.closing(_prepared(plan.records, tokenizer, workers=settings.threads,
                                          token_sets=True)) as prepared:
            while (item := timer.call("tokenise", next, prepared, None)) is not None:
                docs, token_rows = item
                timer.call("token_sets", token_sets.put_rows, token_rows)
                keys = np.arange(next_key, next_key + len(docs), dtype=np.int64)
                next_key += len(docs)
                new_vectors.append(timer.call("vectors_from_cache", cached.encode_passages,
                                              [d.dense_text for d in docs]))
                timer.call("lexical_add", lexical.add, docs, keys)
                timer.call("rows", appender.add, docs, keys)
                report.upserted += len(docs)
                if progress is not None:
                    progress(len(docs))
        timer.call("lexical_commit", lexical.close)
        rows = appender.finish()
        vectors = np.concatenate(new_vectors)
        rows, vectors, dense_type = timer.call(
            "dense_save", save_dense, tmp, rows, vectors, exact_max=settings.dense_exact_max,
            previous=prev_folder)
        manifest = Manifest(kind=kind, encoder_id=encoder.id, encoder_dim=encoder.dim,
                            tokenizer_fingerprint=tokenizer.fingerprint,
                            applied_seq=plan.applied_seq, count=int(rows.live.sum()),
                            next_key=next_key, dense_type=dense_type,
                            settings=resolved_settings(settings))
        name = timer.call("publish", publish, root, tmp, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        cached.close()
        token_sets.close()
    report.deleted = plan.deleted
    report.encoded = counting.encoded
    return name


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class _Timer:
    """Adds each call's wall time to `phases[name]`."""

    def __init__(self, phases: dict[str, float]) -> None:
        self.phases = phases

    def call(self, name: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - started


_WORKER_TOKENIZER: Tokenizer | None = None


_Prepared = tuple[list[Document], list[tuple[str, str]]]


def _documents(records: Iterable[Record], tokenizer: Tokenizer, *, workers: int,
               parallel_min: int | None = None) -> Generator[list[Document], None, None]:
    """Batches of `to_document` output in record order (see `_prepared`)."""
    with contextlib.closing(_prepared(records, tokenizer, workers=workers,
                                      parallel_min=parallel_min)) as prepared:
        for docs, _ in prepared:
            yield docs


def _prepared(records: Iterable[Record], tokenizer: Tokenizer, *, workers: int,
              parallel_min: int | None = None,
              token_sets: bool = False) -> Generator[_Prepared, None, None]:
    """Batches of `to_document` output in record order, with the token-set cache rows of
    each record's `text()` when `token_sets` (else an empty list).

    Tokenising is most of a large build's CPU and holds the GIL, so from `parallel_min`
    records on (only large builds: a server's incremental syncs stay in-process) the batches
    go to `workers` forked processes that inherit the tokenizer; order is kept (`imap`).
    """
    parallel_min = PARALLEL_MIN if parallel_min is None else parallel_min
    iterator = iter(records)
    head = list(itertools.islice(iterator, parallel_min))
    if workers < 2 or len(head) < parallel_min or "fork" not in (
            multiprocessing.get_all_start_methods()):
        for batch in _batches(itertools.chain(head, iterator), BATCH):
            yield _prepare(batch, tokenizer, token_sets)
        return
    context = multiprocessing.get_context("fork")
    job = _to_documents_with_sets if token_sets else _to_documents
    with context.Pool(workers, initializer=_init_worker, initargs=(tokenizer,)) as pool:
        yield from pool.imap(job, _batches(itertools.chain(head, iterator), BATCH))


def _init_worker(tokenizer: Tokenizer) -> None:
    global _WORKER_TOKENIZER
    _WORKER_TOKENIZER = tokenizer


def _prepare(batch: list[Record], tokenizer: Tokenizer, token_sets: bool) -> _Prepared:
    docs = [to_document(record, tokenizer) for record in batch]
    rows = [token_row(tokenizer, record.text()) for record in batch] if token_sets else []
    return docs, rows


def _to_documents(batch: list[Record]) -> _Prepared:
    assert _WORKER_TOKENIZER is not None
    return _prepare(batch, _WORKER_TOKENIZER, False)


def _to_documents_with_sets(batch: list[Record]) -> _Prepared:
    assert _WORKER_TOKENIZER is not None
    return _prepare(batch, _WORKER_TOKENIZER, True)
