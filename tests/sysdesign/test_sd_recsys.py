"""Implicit ALS: each half-step is the exact minimiser; the model beats popularity on structured data."""

import numpy as np
import pytest
from scipy import sparse

from aimastery.sysdesign.metrics import catalogue_coverage, recall_at_k
from aimastery.sysdesign.recsys import (
    als_step, generate_implicit_feedback, implicit_loss, popularity_recommend, recommend, time_top_k, train_als,
)


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    dense = (rng.random((12, 9)) < 0.35) * rng.integers(1, 4, (12, 9))  # counts
    dense[3] = 0  # a user with no interactions
    return sparse.csr_matrix(dense.astype(float)), rng.standard_normal((9, 4))


def test_als_step_is_the_closed_form_minimiser():
    R, Y = small_problem()
    reg, alpha = 0.5, 3.0
    X = als_step(R, Y, reg, alpha)
    # The gradient of the full objective with respect to X vanishes ...
    P, C = (R.toarray() > 0).astype(float), 1 + alpha * R.toarray()
    grad = -2 * (C * (P - X @ Y.T)) @ Y + 2 * reg * X
    np.testing.assert_allclose(grad, 0, atol=1e-9)
    # ... and any perturbation costs more.
    base = implicit_loss(R, X, Y, reg, alpha)
    rng = np.random.default_rng(1)
    for _ in range(5):
        assert implicit_loss(R, X + 1e-3 * rng.standard_normal(X.shape), Y, reg, alpha) > base
    np.testing.assert_array_equal(X[3], 0)


def test_als_step_matches_a_per_row_solve():
    R, Y = small_problem(2)
    X = als_step(R, Y, 0.1, 2.0)
    for u in range(R.shape[0]):
        c = 1 + 2.0 * R[u].toarray().ravel()
        p = (c > 1).astype(float)
        expected = np.linalg.solve(Y.T @ (c[:, None] * Y) + 0.1 * np.eye(4), Y.T @ (c * p))
        np.testing.assert_allclose(X[u], expected, rtol=1e-10, atol=1e-12)


def test_training_lowers_the_loss():
    R, _ = small_problem(3)
    rng = np.random.default_rng(0)
    losses = []
    for iters in (1, 2, 4, 8):
        X, Y = train_als(R, 3, 0.1, 2.0, iters, np.random.default_rng(0))
        losses.append(implicit_loss(R, X, Y, 0.1, 2.0))
    assert losses == sorted(losses, reverse=True)
    with pytest.raises(ValueError, match="columns"):
        als_step(R, rng.standard_normal((5, 3)), 0.1, 1.0)


def test_generated_data_and_baselines():
    rng = np.random.default_rng(0)
    d = generate_implicit_feedback(300, 200, 5, 12, 3, rng, taste=4.0)
    assert d.train.shape == (300, 200) and d.train.nnz == 300 * 9
    assert all(len(t) == 3 for t in d.test)
    train_items = [set(d.train[u].indices) for u in range(300)]
    assert all(not train_items[u].intersection(d.test[u]) for u in range(300))
    X, Y = train_als(d.train, 8, 1.0, 10.0, 6, rng)
    k = 10
    als, pop = recommend(X, Y, d.train, k), popularity_recommend(d.train, k)
    assert all(not train_items[u].intersection(als[u]) for u in range(300))  # never re-recommend
    r_als = np.mean([recall_at_k(list(als[u]), d.test[u], k) for u in range(300)])
    r_pop = np.mean([recall_at_k(list(pop[u]), d.test[u], k) for u in range(300)])
    assert r_als > r_pop
    assert catalogue_coverage(als, 200) > catalogue_coverage(pop, 200)


def test_time_top_k_is_positive():
    assert time_top_k(1000, 16, 10, np.random.default_rng(0), repeats=2) > 0
