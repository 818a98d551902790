"""How a cache's hit rate moves tail latency.

Taught in ``book/sysdesign/rag_at_scale.md``. Queries repeat with a Zipf
popularity (:func:`zipf_stream`); an LRU cache of a given size answers some
of them (:func:`lru_hit_rate`); the latency of a request is a cheap hit or an
expensive miss whose stages each vary (:func:`sample_pipeline_latency`); the
95th percentile of that mixture (:func:`mixture_quantile`, and its sampled
twin :func:`simulate_latencies`) says how high the hit rate must be to meet a
p95 objective.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
from scipy import optimize


def zipf_probabilities(n_distinct: int, s: float) -> np.ndarray:
    """(n_distinct,): the probability of query id ``i``, proportional to ``1 / (i+1)**s``."""
    p = 1.0 / np.arange(1, n_distinct + 1) ** s
    return p / p.sum()


def zipf_stream(n_requests: int, n_distinct: int, s: float, rng: np.random.Generator) -> np.ndarray:
    """Query ids ``0..n_distinct-1`` drawn with probability proportional to ``1 / (rank+1)**s``."""
    if n_requests < 1 or n_distinct < 1 or s < 0:
        raise ValueError(f"need n_requests >= 1, n_distinct >= 1, s >= 0; got {n_requests}, {n_distinct}, {s}")
    return rng.choice(n_distinct, size=n_requests, p=zipf_probabilities(n_distinct, s))


def lru_hit_rate(stream: np.ndarray, capacity: int, warmup: int = 0) -> float:
    """Fraction of requests after the first ``warmup`` that a ``capacity``-entry LRU cache answers."""
    if capacity < 0 or not 0 <= warmup < len(stream):
        raise ValueError(f"need capacity >= 0 and 0 <= warmup < len(stream); got {capacity}, {warmup}")
    cache: OrderedDict = OrderedDict()
    hits = 0
    for i, key in enumerate(stream.tolist()):
        if key in cache:
            cache.move_to_end(key)
            hits += i >= warmup
        elif capacity:
            cache[key] = None
            if len(cache) > capacity:
                cache.popitem(last=False)
    return hits / (len(stream) - warmup)


def zipf_lru_steady_hit_rate(n_distinct: int, s: float, capacity: int) -> float:
    """Steady-state hit rate of an LRU cache on a Zipf stream (Che's approximation).

    A finite simulated stream starts cold: every question is a miss the first
    time it is seen, and a large cache spends the whole stream filling up.
    In the steady state of an endless stream of independent requests, an
    entry stays cached for a characteristic time ``T`` (in requests), the
    solution of ``sum_i (1 - exp(-p_i T)) = capacity``, and the hit rate is
    ``sum_i p_i (1 - exp(-p_i T))`` (Che, Tung and Wang 2002; accurate to a
    few tenths of a percent for Zipf popularity).
    """
    if n_distinct < 1 or s < 0 or capacity < 0:
        raise ValueError(f"need n_distinct >= 1, s >= 0, capacity >= 0; got {n_distinct}, {s}, {capacity}")
    if capacity == 0:
        return 0.0
    if capacity >= n_distinct:
        return 1.0
    p = zipf_probabilities(n_distinct, s)

    def filled(log_t: float) -> float:
        return float(np.sum(-np.expm1(-p * np.exp(log_t)))) - capacity

    log_t = optimize.brentq(filled, np.log(1e-3 / p.max()), np.log(1e3 * n_distinct / p.min()))
    return float(np.sum(p * -np.expm1(-p * np.exp(log_t))))


def sample_pipeline_latency(stages: Mapping[str, tuple[float, float]], n: int,
                            rng: np.random.Generator) -> np.ndarray:
    """End-to-end latency (ms) of ``n`` requests through sequential stages.

    Each stage is ``name: (median_ms, sigma)``: a log-normal time with that
    median and log-space spread ``sigma`` (0 means a fixed time). Stages add.
    """
    total = np.zeros(n)
    for name, (median, sigma) in stages.items():
        if median < 0 or sigma < 0:
            raise ValueError(f"stage {name!r}: median and sigma must be >= 0, got {median}, {sigma}")
        total += median * np.exp(sigma * rng.standard_normal(n))
    return total


def simulate_latencies(hit_rate: float, hit_ms: np.ndarray, miss_ms: np.ndarray,
                       n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` request latencies: each a hit with probability ``hit_rate``, drawn from the given samples."""
    if not 0 <= hit_rate <= 1:
        raise ValueError(f"hit_rate must be in [0, 1], got {hit_rate}")
    hit = rng.random(n) < hit_rate
    return np.where(hit, rng.choice(hit_ms, n), rng.choice(miss_ms, n))


def mixture_quantile(q: float, hit_rate: float, hit_ms: np.ndarray, miss_ms: np.ndarray) -> float:
    """The ``q`` quantile of the hit/miss mixture, solved exactly from the two samples' CDFs.

    Solves ``h * F_hit(x) + (1 - h) * F_miss(x) = q`` for ``x``.
    """
    if not 0 < q < 1 or not 0 <= hit_rate <= 1:
        raise ValueError(f"need 0 < q < 1 and 0 <= hit_rate <= 1; got {q}, {hit_rate}")
    return _quantile_sorted(q, hit_rate, np.sort(hit_ms), np.sort(miss_ms))


def _quantile_sorted(q: float, hit_rate: float, hit_sorted: np.ndarray, miss_sorted: np.ndarray) -> float:
    def reached(x: float) -> float:
        f_hit = np.searchsorted(hit_sorted, x, side="right") / hit_sorted.size
        f_miss = np.searchsorted(miss_sorted, x, side="right") / miss_sorted.size
        return 1.0 if hit_rate * f_hit + (1 - hit_rate) * f_miss >= q else -1.0

    lo = min(hit_sorted[0], miss_sorted[0]) - 1e-9
    hi = max(hit_sorted[-1], miss_sorted[-1])
    # The mixture CDF is a step function: bisect to the first x where it reaches q.
    return float(optimize.bisect(reached, lo, hi, xtol=1e-6))


def hit_rate_needed(slo_ms: float, q: float, hit_ms: np.ndarray, miss_ms: np.ndarray) -> float:
    """The smallest hit rate (to 0.1 %) whose ``q`` quantile meets ``slo_ms``; 1.0 if none below it does.

    The quantile falls as the hit rate rises, so a bisection over the
    0.1 % grid finds the threshold in about ten evaluations.
    """
    hit_sorted, miss_sorted = np.sort(hit_ms), np.sort(miss_ms)
    lo, hi = 0, 1000  # in units of 0.1 %; the answer lies in (lo, hi] unless lo meets it
    if _quantile_sorted(q, 0.0, hit_sorted, miss_sorted) <= slo_ms:
        return 0.0
    if _quantile_sorted(q, 1.0, hit_sorted, miss_sorted) > slo_ms:
        return 1.0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _quantile_sorted(q, mid / 1000, hit_sorted, miss_sorted) <= slo_ms:
            hi = mid
        else:
            lo = mid
    return hi / 1000
