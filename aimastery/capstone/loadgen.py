"""A small HTTP/1.1 load generator: N keep-alive connections, each sending requests back to back.

Used by the API benchmark (aimastery/bench/api.py) and taught in the
capstone chapter (book/capstone_issue_classifier.md). It speaks just enough
HTTP for a JSON API (Content-Length bodies, keep-alive) over asyncio streams,
so that on a 2-core machine the client costs a few microseconds per request
and leaves the CPU to the server being measured. Every response is timed
and its status counted; a response without Content-Length, or a dropped
connection, counts as an error.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LoadResult:
    """Latencies (seconds) of the completed requests, status counts, errors and wall time."""

    latencies: np.ndarray
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1e3)


def build_request(host: str, port: int, path: str, payload: dict) -> bytes:
    """One keep-alive POST with a JSON body, as raw bytes."""
    body = json.dumps(payload).encode("utf-8")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode("ascii") + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise ConnectionError("a response without Content-Length")
    await reader.readexactly(length)
    return status


async def _connection(host: str, port: int, requests: Sequence[bytes], latencies: list[float],
                      statuses: Counter) -> int:
    """Send ``requests`` one after the other on one connection; return how many failed."""
    errors = 0
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for i, request in enumerate(requests):
            start = time.perf_counter()
            try:
                writer.write(request)
                status = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError, ValueError):
                return errors + len(requests) - i
            latencies.append(time.perf_counter() - start)
            statuses[status] += 1
            errors += status >= 500
    finally:
        writer.close()
    return errors


async def run_load_async(host: str, port: int, path: str, payloads: Sequence[dict], *, n_requests: int,
                         concurrency: int) -> LoadResult:
    """``n_requests`` POSTs of ``payloads`` (cycled) over ``concurrency`` connections."""
    if concurrency < 1 or n_requests < concurrency:
        raise ValueError(f"need 1 <= concurrency <= n_requests, got {concurrency} and {n_requests}")
    encoded = [build_request(host, port, path, p) for p in payloads]
    per_connection = [[encoded[(c + k * concurrency) % len(encoded)] for k in range(n_requests // concurrency)]
                      for c in range(concurrency)]
    latencies: list[float] = []
    statuses: Counter = Counter()
    start = time.perf_counter()
    errors = await asyncio.gather(*[_connection(host, port, reqs, latencies, statuses) for reqs in per_connection])
    seconds = time.perf_counter() - start
    return LoadResult(np.array(latencies), statuses, int(sum(errors)), seconds)


def run_load(host: str, port: int, path: str, payloads: Sequence[dict], *, n_requests: int,
             concurrency: int = 1) -> LoadResult:
    """The blocking form of :func:`run_load_async`."""
    return asyncio.run(run_load_async(host, port, path, payloads, n_requests=n_requests, concurrency=concurrency))
