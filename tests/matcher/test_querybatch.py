"""Micro-batching of concurrent requests' query encoding (techmatch.matcher.querybatch): a
request's vectors are those of its texts encoded alone whatever came with it; requests queued
meanwhile share one encoder call; an encoder error reaches the request whose text caused it
and only it; and concurrent searches of the service answer as sequential ones."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.indexers.vector_cache import encode_apart
from techmatch.matcher.engine import Engine
from techmatch.matcher.querybatch import QueryBatcher
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement
from techmatch.models.results import Explanation

HASH = HashEncoder()


class Gate:
    """An encode function (the real HashEncoder underneath) whose first call waits until the
    test opens the gate, so the requests submitted meanwhile queue up; notes each call's
    texts; raises for texts containing 坏."""

    def __init__(self, encode=HASH.encode_queries) -> None:  # type: ignore[no-untyped-def]
        self.open = threading.Event()
        self.entered = threading.Event()
        self.calls: list[list[str]] = []
        self.encode = encode

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.entered.set()
        assert self.open.wait(60)
        if any("坏" in t for t in texts):
            raise ValueError(f"cannot encode {[t for t in texts if '坏' in t]}")
        return self.encode(texts)


def queued(batcher: QueryBatcher, gate: Gate, requests: list[list[str]]):  # type: ignore[no-untyped-def]
    """Submit `requests` while the batcher's thread is held in its first call (a blocker)."""
    blocker = batcher.submit(["先到"])
    assert gate.entered.wait(60)
    futures = [batcher.submit(texts) for texts in requests]
    gate.open.set()
    assert np.array_equal(blocker.result(60), HASH.encode_queries(["先到"]))
    return futures


def test_queued_requests_share_one_call_and_get_their_own_rows() -> None:
    gate = Gate()
    batcher = QueryBatcher(gate, max_texts=8, wait=0.0)
    requests = [["锂电池正极"], ["高速公路 裂缝", "沥青"], ["注塑模具"], ["隔膜涂层"]]
    futures = queued(batcher, gate, requests)
    for texts, fut in zip(requests, futures, strict=True):
        got = fut.result(60)
        assert got.shape == (len(texts), 384)
        assert np.array_equal(got, HASH.encode_queries(texts))
    assert gate.calls == [["先到"], ["锂电池正极", "高速公路 裂缝", "沥青", "注塑模具", "隔膜涂层"]]
    assert batcher.calls == 2


def test_a_call_holds_at_most_max_texts_and_never_splits_a_request() -> None:
    gate = Gate()
    batcher = QueryBatcher(gate, max_texts=3, wait=0.0)
    requests = [["a"], ["b", "c"], ["d"], ["e", "f", "g", "h"], ["i"]]
    futures = queued(batcher, gate, requests)
    for texts, fut in zip(requests, futures, strict=True):
        assert np.array_equal(fut.result(60), HASH.encode_queries(texts))
    assert gate.calls[1:] == [["a", "b", "c"], ["d"], ["e", "f", "g", "h"], ["i"]]


def test_an_encoder_error_reaches_only_the_request_that_caused_it() -> None:
    gate = Gate()
    batcher = QueryBatcher(gate, max_texts=8, wait=0.0)
    requests = [["锂电池"], ["好的", "坏的"], ["模具"], ["又一个坏"]]
    futures = queued(batcher, gate, requests)
    assert np.array_equal(futures[0].result(60), HASH.encode_queries(["锂电池"]))
    assert np.array_equal(futures[2].result(60), HASH.encode_queries(["模具"]))
    with pytest.raises(ValueError, match="坏的"):
        futures[1].result(60)
    with pytest.raises(ValueError, match="又一个坏"):
        futures[3].result(60)
    # the joint call failed, then each request was encoded alone
    assert gate.calls[1] == ["锂电池", "好的", "坏的", "模具", "又一个坏"]
    assert gate.calls[2:] == [["锂电池"], ["好的", "坏的"], ["模具"], ["又一个坏"]]
    # the thread survived: later requests are served
    assert np.array_equal(batcher.submit(["之后"]).result(60), HASH.encode_queries(["之后"]))


def test_a_wrong_number_of_vectors_is_an_error_not_a_shifted_answer() -> None:
    batcher = QueryBatcher(lambda texts: HASH.encode_queries([*texts, "多余"]))
    with pytest.raises(RuntimeError, match="returned 2 vectors for 1 texts"):
        batcher.submit(["锂电池"]).result(60)


def test_an_exception_outside_exception_does_not_kill_the_thread() -> None:
    """SystemExit raised by the encoder goes to the request; later requests are still served
    (a dead thread would leave every later search of the process waiting)."""
    def encode(texts: Sequence[str]) -> np.ndarray:
        if "退出" in texts:
            raise SystemExit("encoder gave up")
        return HASH.encode_queries(texts)

    batcher = QueryBatcher(encode, wait=0.0)
    with pytest.raises(SystemExit, match="encoder gave up"):
        batcher.submit(["退出"]).result(60)
    assert np.array_equal(batcher.submit(["之后"]).result(60), HASH.encode_queries(["之后"]))


RECORDS = [Achievement(id="a1", title="陶瓷涂覆隔膜", abstract="浆料分散工艺"),
           Achievement(id="a2", title="注塑模具冷却", abstract="随形水路"),
           Achievement(id="a3", title="隔膜涂层浆料", abstract="陶瓷颗粒分散"),
           Achievement(id="a4", title="锂离子电池正极材料", abstract="高镍三元 NCM811"),
           Achievement(id="a5", title="沥青路面裂缝检测", abstract="无人机巡检 图像分割")]
QUERIES = ["隔膜涂层", "锂电池 正极 高镍化研究与产业化", "高速公路 沥青路面 裂缝检测",
           "注塑", "陶瓷颗粒在浆料中的分散", "Cathode materials for lithium-ion batteries"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A small home with the real default encoder (e5-small, packed bf16 query path)."""
    eng = Engine.open(Settings(home=tmp_path_factory.mktemp("qb") / "home", threads=1))
    eng.store.upsert(RECORDS)
    eng.sync(("achievement",))
    yield eng
    eng.close()


def test_concurrent_searches_answer_as_sequential_ones(engine: Engine) -> None:
    service = MatchService(engine)
    sequential = [service.search(q, kind="achievement", k=5) for q in QUERIES]
    gate = Gate(encode=lambda texts: encode_apart(engine.encoder, texts))
    service._batcher = QueryBatcher(gate, max_texts=8, wait=0.0)
    blocker = service._batcher.submit(["先到"])
    assert gate.entered.wait(60)
    with ThreadPoolExecutor(len(QUERIES)) as pool:
        running = [pool.submit(service.search, q, kind="achievement", k=5) for q in QUERIES]
        deadline = time.monotonic() + 60
        while service._batcher._queue.qsize() < len(QUERIES):  # every search is waiting
            assert time.monotonic() < deadline, [f.exception() for f in running if f.done()]
            time.sleep(0.01)
        gate.open.set()
        concurrent = [f.result(120) for f in running]
    blocker.result(60)
    assert sorted(map(len, gate.calls)) == [1, len(QUERIES)]  # encoded in one joint call
    for a, b in zip(sequential, concurrent, strict=True):
        assert [h.id for h in a.hits] == [h.id for h in b.hits] and a.hits
        assert [h.dense.score for h in a.hits] == [h.dense.score for h in b.hits]
        assert [h.lexical.score for h in a.hits] == [h.lexical.score for h in b.hits]
        assert [h.confidence for h in a.hits] == pytest.approx([h.confidence for h in b.hits])
        assert [timeless(h.explanation) for h in a.hits] == \
            [timeless(h.explanation) for h in b.hits]
    vectors = encode_apart(engine.encoder, QUERIES)  # and those are the vectors alone
    assert np.array_equal(vectors, np.stack([engine.encoder.encode_queries([q])[0]
                                             for q in QUERIES]))


def timeless(explanation: Explanation | None) -> dict | None:  # type: ignore[type-arg]
    """An explanation without its `recency` contribution (it moves with the clock)."""
    if explanation is None:
        return None
    out = explanation.model_dump()
    out["contributions"] = [c for c in out["contributions"] if c["name"] != "recency"]
    return out


def test_a_forked_service_gets_a_batcher_of_its_own(engine: Engine) -> None:
    """A thread does not survive a fork: the child's batcher starts its own on first use."""
    service = MatchService(engine)
    service.search("隔膜", kind="achievement", k=2)
    before = service._batcher
    assert before._thread is not None and before._thread.is_alive()
    service.after_fork()
    assert service._batcher is not before and service._batcher._thread is None
    assert service.search("隔膜", kind="achievement", k=2).hits
    assert service._batcher._thread is not None
