"""Prometheus metrics for the service, correct with one worker or several.

Taught in the capstone chapter (book/capstone_issue_classifier.md).

With several uvicorn workers, each is its own process with its own
counters, and a scrape of ``/metrics`` reaches one of them at random. So
prometheus-client's **multiprocess mode** is used whenever the environment
variable ``PROMETHEUS_MULTIPROC_DIR`` names a folder: every process writes
its values to files there, and ``/metrics`` sums the files of all processes.
The variable must be set before prometheus-client is first imported, and the
folder must start empty (``python -m aimastery.capstone serve`` does both).
Without it (a single process, a test, the book), values live in memory.
"""

from __future__ import annotations

import os
import time
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Latency buckets in seconds: fine below 10 ms, where this service lives.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class PredictionMonitor(Protocol):
    """Watches what the service classifies (the MLOps chapter's drift monitor, aimastery.mlops.monitor)."""

    def bind(self, registry: CollectorRegistry) -> None: ...

    def observe(self, title: str, body: str, label: str) -> None: ...


class ServiceMetrics:
    """The service's metrics, in a registry of their own (one per app), and an optional monitor.

    ``predicted`` names what the service classifies, in the help text of the
    ``predictions`` counter (Week 5's digit service counts "Digits").
    """

    def __init__(self, monitor: PredictionMonitor | None = None, *, predicted: str = "Issues") -> None:
        disable_created_metrics()  # no *_created series: multiprocess mode has none either
        self.registry = CollectorRegistry()
        labels = ["method", "route", "status"]
        self.requests = Counter("http_requests", "HTTP requests by method, route and status code.",
                                labels, registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds",
                                 "Time from request to response, by method, route and status code.",
                                 labels, buckets=LATENCY_BUCKETS, registry=self.registry)
        self.predictions = Counter("predictions", f"{predicted} classified, by predicted label.", ["label"],
                                   registry=self.registry)
        self.model_load_seconds = Gauge("model_load_seconds",
                                        "Seconds a worker took to load and verify the model (slowest worker).",
                                        registry=self.registry, multiprocess_mode="max")
        self.monitor = monitor
        if monitor is not None:
            monitor.bind(self.registry)

    def count_prediction(self, title: str, body: str, label: str) -> None:
        """One classified issue: counted by label, and shown to the monitor if there is one."""
        self.predictions.labels(label).inc()
        if self.monitor is not None:
            self.monitor.observe(title, body, label)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The text format and its content type: all processes' values in multiprocess mode."""
        path = multiprocess_dir()
        if path is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)
        return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_worker_dead() -> None:
    """On a worker's shutdown in multiprocess mode: drop its live-gauge files."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())


class MetricsMiddleware:
    """ASGI middleware that times every HTTP request and counts it by route template and status.

    The route is the template (``/predict``), never the raw path, so a
    client sending random URLs cannot create unbounded label values; paths
    no route matched count as ``unmatched``. Pure ASGI (no BaseHTTPMiddleware)
    to keep the overhead to a few microseconds.
    """

    def __init__(self, app, metrics: ServiceMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app fails before it responds

        async def send_and_record_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope.get("method", "OTHER"), path, status, time.perf_counter() - start)
