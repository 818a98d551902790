"""The dynamic-batching simulator against hand-worked schedules and queueing facts."""

import numpy as np
import pytest

from aimastery.sysdesign.batching import (
    ServiceTime, max_rate_under_slo, measure_batch_latency, poisson_arrivals, simulate_batcher,
)


def fixed(seconds):
    return lambda b: seconds


def test_one_at_a_time_is_the_lindley_recursion():
    rng = np.random.default_rng(0)
    a = poisson_arrivals(80.0, 2000, rng)
    s = 0.01  # 100 req/s capacity, 80 % busy
    res = simulate_batcher(a, fixed(s), max_batch=1, max_wait=0.0)
    finish, expected = 0.0, []
    for t in a:
        finish = max(finish, t) + s
        expected.append(finish - t)
    np.testing.assert_allclose(res.latency, expected)
    assert (res.batch_sizes == 1).all()


def test_hand_worked_schedule():
    a = np.array([0.0, 0.1, 0.2, 0.3, 5.0])
    res = simulate_batcher(a, fixed(1.0), max_batch=2, max_wait=0.5)
    # batch 1 leaves at 0.1 (full), done 1.1; batch 2 (0.2, 0.3) leaves at 1.1, done 2.1;
    # the last request waits its 0.5 s alone, done 6.5.
    np.testing.assert_allclose(res.latency, [1.1, 1.0, 1.9, 1.8, 1.5])
    assert res.batch_sizes.tolist() == [2, 2, 1]


def test_two_workers_share_the_load():
    a = np.array([0.0, 0.0, 0.0, 0.0])
    one = simulate_batcher(a, fixed(1.0), max_batch=1, max_wait=0.0, n_workers=1)
    two = simulate_batcher(a, fixed(1.0), max_batch=1, max_wait=0.0, n_workers=2)
    assert one.latency.tolist() == [1, 2, 3, 4] and two.latency.tolist() == [1, 1, 2, 2]


def test_invariants_under_load():
    rng = np.random.default_rng(1)
    svc = ServiceTime.from_measurements({1: 1e-3, 8: 2e-3, 32: 5e-3})
    res = simulate_batcher(poisson_arrivals(3000, 5000, rng), svc, 32, 2e-3)
    assert res.batch_sizes.sum() == 5000 and res.batch_sizes.max() <= 32
    assert (res.latency >= svc(1) - 1e-12).all()
    assert res.throughput == pytest.approx(3000, rel=0.1)


def test_batching_raises_capacity_under_an_slo():
    svc = ServiceTime.from_measurements({1: 1e-3, 16: 2e-3, 64: 4e-3})
    alone = max_rate_under_slo(svc, 1, 0.0, 20e-3, rng_seed=0, n_requests=4000)
    batched = max_rate_under_slo(svc, 64, 2e-3, 20e-3, rng_seed=0, n_requests=4000)
    assert 700 < alone <= 1000 and batched > 5 * alone


def test_service_time_interpolates_and_validates():
    svc = ServiceTime.from_measurements({1: 1.0, 3: 2.0}, overhead=0.5)
    assert svc(2) == pytest.approx(2.0) and svc.throughput(3) == pytest.approx(3 / 2.5)
    per = ServiceTime.from_measurements({1: 1.0, 3: 2.0}, per_request=0.25)
    assert per(3) == pytest.approx(2.75)
    with pytest.raises(ValueError, match="outside"):
        svc(4)
    with pytest.raises(ValueError, match="batch size 1"):
        ServiceTime.from_measurements({2: 1.0})
    with pytest.raises(ValueError, match="sorted"):
        simulate_batcher(np.array([1.0, 0.0]), svc, 2, 0.0)


def test_measure_batch_latency_calls_every_size():
    seen = []
    out = measure_batch_latency(seen.append, [1, 4], repeats=3, warmup=1)
    assert set(out) == {1, 4} and seen.count(4) == 4 and all(v >= 0 for v in out.values())
