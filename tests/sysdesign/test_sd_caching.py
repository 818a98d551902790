"""Zipf streams, LRU hit rates and the p95 of a hit/miss mixture."""

import numpy as np
import pytest

from aimastery.sysdesign.caching import (
    hit_rate_needed, lru_hit_rate, mixture_quantile, sample_pipeline_latency, simulate_latencies,
    zipf_lru_steady_hit_rate, zipf_stream,
)


def test_lru_hit_rate_small_examples():
    assert lru_hit_rate(np.array([1, 1, 1, 1]), 1) == 0.75
    assert lru_hit_rate(np.array([1, 2, 1, 2]), 1) == 0.0  # thrashing
    assert lru_hit_rate(np.array([1, 2, 1, 2]), 2) == 0.5
    assert lru_hit_rate(np.array([1, 2, 3, 1]), 2) == 0.0  # 1 was evicted by 3
    assert lru_hit_rate(np.array([1, 2, 1, 2]), 2, warmup=2) == 1.0
    assert lru_hit_rate(np.array([5, 5]), 0) == 0.0


def test_hit_rate_grows_with_capacity_and_skew():
    rng = np.random.default_rng(0)
    stream = zipf_stream(20_000, 5_000, 1.0, rng)
    rates = [lru_hit_rate(stream, c, warmup=2000) for c in (0, 50, 500, 5000)]
    assert rates == sorted(rates) and rates[0] == 0.0
    flat = zipf_stream(20_000, 5_000, 0.0, np.random.default_rng(0))
    assert lru_hit_rate(flat, 500, warmup=2000) < rates[2]


def test_mixture_quantile_agrees_with_simulation():
    rng = np.random.default_rng(1)
    miss = sample_pipeline_latency({"a": (300.0, 0.3), "b": (100.0, 0.5)}, 20_000, rng)
    hit = sample_pipeline_latency({"cache": (5.0, 0.2)}, 20_000, rng)
    for h in (0.0, 0.3, 0.6, 0.9):
        exact = mixture_quantile(0.95, h, hit, miss)
        sampled = np.percentile(simulate_latencies(h, hit, miss, 200_000, rng), 95)
        assert sampled == pytest.approx(exact, rel=0.03)
    assert mixture_quantile(0.95, 0.0, hit, miss) == pytest.approx(np.quantile(miss, 0.95), rel=1e-3)
    # at a 96 % hit rate, the 95th percentile is a hit
    assert mixture_quantile(0.95, 0.96, hit, miss) < hit.max()


def test_hit_rate_needed_is_the_smallest_that_meets_the_slo():
    rng = np.random.default_rng(2)
    miss = sample_pipeline_latency({"all": (400.0, 0.4)}, 20_000, rng)
    hit = np.full(100, 5.0)
    h = hit_rate_needed(500.0, 0.95, hit, miss)
    assert 0 < h < 0.95
    assert mixture_quantile(0.95, h, hit, miss) <= 500.0
    assert mixture_quantile(0.95, h - 0.001, hit, miss) > 500.0


def test_bad_inputs():
    with pytest.raises(ValueError):
        zipf_stream(0, 10, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="hit_rate"):
        simulate_latencies(1.5, np.ones(2), np.ones(2), 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="stage 'x'"):
        sample_pipeline_latency({"x": (-1.0, 0.1)}, 5, np.random.default_rng(0))


def test_steady_state_hit_rate_matches_a_long_warm_simulation():
    rng = np.random.default_rng(0)
    stream = zipf_stream(200_000, 2_000, 0.9, rng)
    for capacity in (50, 400):
        simulated = lru_hit_rate(stream, capacity, warmup=50_000)
        assert abs(zipf_lru_steady_hit_rate(2_000, 0.9, capacity) - simulated) < 0.01
    assert zipf_lru_steady_hit_rate(10, 1.0, 0) == 0.0
    assert zipf_lru_steady_hit_rate(10, 1.0, 10) == 1.0
    with pytest.raises(ValueError, match="capacity"):
        zipf_lru_steady_hit_rate(10, 1.0, -1)
