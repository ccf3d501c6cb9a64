"""Prometheus metrics with one CollectorRegistry per app: request latency per route template
and status, index size / generation / applied sequence per kind and the last batch run,
the latter read from the store when scraped.

With several uvicorn workers each process has its own registry; a scrape sees one worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from techmatch.errors import TechmatchError
from techmatch.matcher.batch import results
from techmatch.models.records import KINDS
from techmatch.store import Store

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _EngineLike(Protocol):
    store: Store

    def index(self, kind: str): ...  # type: ignore[no-untyped-def]  # noqa: ANN201


class IndexCollector(Collector):
    """Gauges computed at scrape time from the engine (nothing when it is not loaded yet)."""

    def __init__(self, engine: Callable[[], _EngineLike | None]) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        engine = self._engine()
        docs = GaugeMetricFamily("techmatch_index_documents", "Live documents in the index",
                                 labels=["kind"])
        seq = GaugeMetricFamily("techmatch_index_applied_seq",
                                "Last store change sequence applied by the index", labels=["kind"])
        gen = GaugeMetricFamily("techmatch_index_generation_info",
                                "Open index generation (value 1)", labels=["kind", "generation"])
        records = GaugeMetricFamily("techmatch_store_records", "Live records in the store",
                                    labels=["kind"])
        last = GaugeMetricFamily("techmatch_last_batch_run_timestamp_seconds",
                                 "Unix time the last batch run finished (failed and abandoned runs "
                                 "do not count; 0 when none)")
        status = GaugeMetricFamily("techmatch_last_batch_run_info",
                                   "The newest batch run and its status (value 1): running, "
                                   "finished, failed, abandoned, or interrupted — still marked "
                                   "running while no process holds the batch lock",
                                   labels=["run_id", "status"])
        if engine is not None:
            for kind in KINDS:
                records.add_metric([kind], engine.store.count(kind))
                try:
                    idx = engine.index(kind)
                except TechmatchError:
                    continue
                docs.add_metric([kind], idx.count())
                seq.add_metric([kind], idx.applied_seq)
                gen.add_metric([kind, str(idx.generation)], 1)
            last.add_metric([], last_batch_run(engine.store))
            for run in results.runs(engine.store, limit=1):
                status.add_metric([run.run_id, results.shown_status(engine.store, run)], 1)
        yield from (docs, seq, gen, records, last, status)


def last_batch_run(store: Store) -> float:
    """Unix time the newest batch run finished (0 when none); the store keeps the table."""
    return store.batch.last_finished()


class Metrics:
    """The app's registry and request histogram."""

    def __init__(self, engine: Callable[[], _EngineLike | None]) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram("techmatch_http_request_duration_seconds",
                                 "HTTP request latency by route template and status",
                                 ["method", "route", "status"], registry=self.registry,
                                 buckets=LATENCY_BUCKETS)
        self.registry.register(IndexCollector(engine))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Times every HTTP request; the label is the matched route template, never the raw path."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = (getattr(route, "path_format", None) or getattr(route, "path", None)
                        or "<unmatched>")
            self.metrics.latency.labels(scope.get("method", ""), template,
                                        str(status)).observe(time.perf_counter() - start)
