"""Micro-batching of concurrent requests' query encoding inside one process.

Each search request of an API worker needs its free-text query encoded (e5-small: ~10 ms of
CPU alone, ~7 ms per query when a few are encoded together). `QueryBatcher` runs one encoder
thread: a request submits its texts and gets a `Future`; the thread takes what is queued, up
to `max_texts` texts, and encodes it in one call of the encoder's `encode_queries_apart`, whose
rows are bit-identical to encoding each text alone: a request's vector, and its answer, never
depend on which requests arrived with it. Requests that arrive while a call runs queue up for
the next one; by default the thread does not wait for company (`wait` 0): under load, 2
workers at concurrency 8 on the dev corpus, waits of 1, 3 and 6 ms hardly changed the calls'
sizes (mostly 1–3 texts), and at one client a wait only adds latency.

When a joint call fails, every request of it is encoded again alone, so an error reaches only
the request whose text caused it (and each request it belongs to), never its neighbours. Any
exception, `SystemExit` included, goes to its request: the thread outlives it, so later
searches of the process are never left waiting on a dead thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

MAX_TEXTS = 8  # texts encoded in one call at most (a call's cost grows with its tokens)
WAIT_S = 0.0  # how long a first request waits for others before it is encoded alone

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass
class _Request:
    texts: list[str]
    future: Future[np.ndarray] = field(default_factory=Future)


class QueryBatcher:
    """Encodes submitted texts in one thread, concurrent submissions together.

    `encode(texts)` must give each row exactly what encoding that text alone gives (the
    batcher relies on it for identical answers; `vector_cache.encode_apart` does).
    """

    def __init__(self, encode: Encode, *, max_texts: int = MAX_TEXTS,
                 wait: float = WAIT_S) -> None:
        self._encode = encode
        self.max_texts = max(1, max_texts)
        self.wait = max(0.0, wait)
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.calls = 0  # encoder calls made (joint or alone): for tests and diagnostics

    def submit(self, texts: Sequence[str]) -> Future[np.ndarray]:
        """A future of the (len(texts), dim) vectors; encoded in the batcher's thread."""
        request = _Request(list(texts))
        self._start()
        self._queue.put(request)
        return request.future

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="techmatch-querybatch",
                                          daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        carry: _Request | None = None
        while True:
            batch, carry = self._gather(carry if carry is not None else self._queue.get())
            self._serve(batch)

    def _gather(self, first: _Request) -> tuple[list[_Request], _Request | None]:
        """`first` and whatever joins it within `wait`, up to `max_texts` texts; a request
        that would overfill the call is carried to the next one (never split)."""
        batch, count = [first], len(first.texts)
        deadline = time.monotonic() + self.wait
        while count < self.max_texts:
            left = deadline - time.monotonic()
            try:
                nxt = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if count + len(nxt.texts) > self.max_texts:
                return batch, nxt
            batch.append(nxt)
            count += len(nxt.texts)
        return batch, None

    def _serve(self, batch: list[_Request]) -> None:
        live = [r for r in batch if r.future.set_running_or_notify_cancel()]
        if not live:
            return
        if len(live) > 1:
            try:
                vectors = self._call([t for r in live for t in r.texts])
            except BaseException:  # noqa: BLE001 - someone's text failed: find whose, alone below
                pass
            else:
                start = 0
                for r in live:
                    r.future.set_result(vectors[start:start + len(r.texts)])
                    start += len(r.texts)
                return
        for r in live:
            try:
                r.future.set_result(self._call(r.texts))
            except BaseException as exc:  # noqa: BLE001 - handed to the request that asked;
                r.future.set_exception(exc)  # even SystemExit: the thread must keep serving

    def _call(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        vectors = np.asarray(self._encode(texts))
        if vectors.shape[0] != len(texts):
            raise RuntimeError(f"encoder returned {vectors.shape[0]} vectors for "
                               f"{len(texts)} texts")
        return vectors
