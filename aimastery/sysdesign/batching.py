"""Dynamic batching: measured model latency, and a discrete-event simulation of a batcher.

Taught in ``book/sysdesign/model_serving.md``. :func:`measure_batch_latency`
times a PyTorch model's forward pass at each batch size;
:class:`ServiceTime` turns those measurements into the service time of any
batch size; :func:`simulate_batcher` plays Poisson arrivals through a
dynamic batcher (a batch leaves when it holds ``max_batch`` requests or its
oldest request has waited ``max_wait`` seconds, whichever comes first) in
front of ``n_workers`` model workers, and returns every request's latency;
:func:`max_rate_under_slo` searches for the highest arrival rate whose p95
still meets the objective.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


def measure_batch_latency(forward: Callable[[int], object], batch_sizes: Sequence[int], repeats: int = 20,
                          warmup: int = 3) -> dict[int, float]:
    """Median wall-clock seconds of ``forward(b)`` for each batch size ``b``.

    ``forward(b)`` must run the model on a batch of ``b`` inputs (made
    beforehand, so that only the model is timed). Batch sizes are measured
    interleaved, round by round, so that a burst of load from other processes
    touches them all alike.
    """
    if not batch_sizes or any(b < 1 for b in batch_sizes) or repeats < 1:
        raise ValueError("batch_sizes must be positive integers and repeats >= 1")
    for b in batch_sizes:
        for _ in range(warmup):
            forward(b)
    times: dict[int, list[float]] = {b: [] for b in batch_sizes}
    for _ in range(repeats):
        for b in batch_sizes:
            start = time.perf_counter()
            forward(b)
            times[b].append(time.perf_counter() - start)
    return {b: float(np.median(ts)) for b, ts in times.items()}


@dataclass(frozen=True)
class ServiceTime:
    """Seconds one worker needs for a batch of ``b``, interpolated linearly between measured sizes.

    ``overhead`` is added once per batch (the batcher's own work, one call
    into the model); ``per_request`` once per request in it (parsing the
    request, serialising the reply): the part of the work batching cannot
    share out.
    """

    sizes: tuple[int, ...]
    seconds: tuple[float, ...]
    overhead: float = 0.0
    per_request: float = 0.0

    @classmethod
    def from_measurements(cls, measured: dict[int, float], overhead: float = 0.0,
                          per_request: float = 0.0) -> ServiceTime:
        sizes = tuple(sorted(measured))
        if sizes[0] != 1:
            raise ValueError("measure batch size 1: it is the baseline every gain is relative to")
        if any(measured[b] <= 0 for b in sizes):
            raise ValueError("measured latencies must be positive")
        if overhead < 0 or per_request < 0:
            raise ValueError("overheads must be >= 0")
        return cls(sizes, tuple(float(measured[b]) for b in sizes), overhead, per_request)

    @property
    def max_batch(self) -> int:
        return self.sizes[-1]

    def __call__(self, b: int) -> float:
        if not 1 <= b <= self.max_batch:
            raise ValueError(f"batch size {b} is outside the measured range 1..{self.max_batch}")
        return float(np.interp(b, self.sizes, self.seconds)) + self.overhead + self.per_request * b

    def table(self) -> np.ndarray:
        """Service time of every batch size 1..max_batch, index b-1."""
        return np.array([self(b) for b in range(1, self.max_batch + 1)])

    def throughput(self, b: int) -> float:
        """Requests per second one saturated worker serves at batch size ``b``."""
        return b / self(b)


def poisson_arrivals(rate: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (s) of ``n`` requests of a Poisson process with ``rate`` requests per second."""
    if rate <= 0 or n < 1:
        raise ValueError(f"need rate > 0 and n >= 1, got {rate}, {n}")
    return np.cumsum(rng.exponential(1.0 / rate, n))


@dataclass
class BatcherResult:
    latency: np.ndarray  # (n,) seconds from arrival to reply
    batch_sizes: np.ndarray  # (n_batches,)
    duration: float  # seconds from the first arrival to the last reply

    def p(self, q: float) -> float:
        return float(np.percentile(self.latency, q))

    @property
    def throughput(self) -> float:
        return self.latency.size / self.duration


def simulate_batcher(arrivals: np.ndarray, service: Callable[[int], float], max_batch: int,
                     max_wait: float, n_workers: int = 1) -> BatcherResult:
    """Play sorted ``arrivals`` through a dynamic batcher and ``n_workers`` FIFO workers.

    When a worker is free and requests wait, the batch leaves at the earlier
    of: the moment it holds ``max_batch`` requests, and ``max_wait`` after its
    oldest request arrived (at once if that moment has passed). It takes every
    waiting request up to ``max_batch``. ``max_batch=1, max_wait=0`` is plain
    one-at-a-time serving. The simulation jumps from batch to batch, so it
    costs O(number of batches), not O(time).
    """
    a = np.asarray(arrivals, dtype=np.float64)
    if a.ndim != 1 or not a.size or np.any(np.diff(a) < 0):
        raise ValueError("arrivals must be a non-empty, sorted 1-D array of times")
    if max_batch < 1 or max_wait < 0 or n_workers < 1:
        raise ValueError(f"need max_batch >= 1, max_wait >= 0, n_workers >= 1; "
                         f"got {max_batch}, {max_wait}, {n_workers}")
    n = a.size
    cost = np.array([service(b) for b in range(1, max_batch + 1)])  # index b-1
    latency = np.empty(n)
    sizes = []
    free = [0.0] * n_workers  # a heap of the times each worker becomes free
    i = 0
    while i < n:
        worker_free = heapq.heappop(free)
        ready = max(worker_free, a[i])  # a worker and a request are both there
        deadline = max(ready, a[i] + max_wait)
        full = i + max_batch - 1
        start = max(ready, a[full]) if full < n and a[full] <= deadline else deadline
        j = int(np.searchsorted(a, start, side="right"))
        b = min(j - i, max_batch)
        finish = start + cost[b - 1]
        latency[i:i + b] = finish - a[i:i + b]
        sizes.append(b)
        heapq.heappush(free, finish)
        i += b
    return BatcherResult(latency, np.array(sizes), float((a + latency).max() - a[0]))


def max_rate_under_slo(service: ServiceTime, max_batch: int, max_wait: float, slo_p95: float,
                       rng_seed: int, n_requests: int = 20_000, n_workers: int = 1,
                       tol: float = 0.01) -> float:
    """The highest Poisson arrival rate (req/s) whose simulated p95 latency is within ``slo_p95``.

    Bisection between 0 and the saturated throughput of ``n_workers``
    workers at ``max_batch``; every rate is simulated with the same seed, so
    the answer is reproducible. Returns 0.0 if even a trickle misses the SLO.
    """
    ceiling = n_workers * service.throughput(max_batch)
    lo, hi = 0.0, ceiling

    def meets(rate: float) -> bool:
        rng = np.random.default_rng(rng_seed)
        res = simulate_batcher(poisson_arrivals(rate, n_requests, rng), service, max_batch, max_wait,
                               n_workers)
        return res.p(95) <= slo_p95

    if not meets(ceiling * 0.01):
        return 0.0
    lo = ceiling * 0.01
    while hi - lo > tol * ceiling:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if meets(mid) else (lo, mid)
    return lo


def ranking_mlp(n_features: int = 256, hidden: int = 2048, seed: int = 0):
    """The model ``book/sysdesign/model_serving.md`` serves: a ranking MLP (4.7 M parameters by default).

    ``n_features -> hidden -> hidden -> 1`` with ReLUs, in eval mode: the
    shape of the click-through-rate models recommenders rank with. Its
    weights are random; latency does not depend on their values.
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden), torch.nn.ReLU(),
        torch.nn.Linear(hidden, 1),
    )
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.02)
    return model.eval()
