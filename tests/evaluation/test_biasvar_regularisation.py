"""The bias-variance simulation adds up; ridge and lasso paths equal scikit-learn's."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.linear_model import lasso_path as sk_lasso_path

from aimastery.evaluation.biasvar import simulate
from aimastery.evaluation.regularisation import lasso_path, ridge_path, soft_threshold


def test_bias_variance_and_noise_add_up_to_the_measured_test_error():
    r = simulate([0, 1, 3, 5, 8], n_train=20, n_sets=300, n_test=100, noise_sd=0.3, rng=np.random.default_rng(0))
    np.testing.assert_allclose(r.total, r.test_error, rtol=0.02)
    assert r.bias2[0] > r.bias2[3] and r.variance[-1] > r.variance[1], "bias falls and variance grows with degree"
    assert np.all(np.diff(r.train_error) < 0), "more degrees fit the training set better"
    assert r.predictions.shape == (5, 300, 100)


def test_degree_must_leave_fewer_coefficients_than_points():
    with pytest.raises(ValueError, match="0..9"):
        simulate([12], n_train=10, rng=np.random.default_rng(0))


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    return X, y - y.mean()


def test_ridge_path_is_sklearns_ridge(diabetes):
    X, y = diabetes
    alphas = [0.1, 10.0, 1000.0]
    for a, w in zip(alphas, ridge_path(X, y, alphas)):
        np.testing.assert_allclose(w, Ridge(alpha=a, fit_intercept=False).fit(X, y).coef_, atol=1e-9)


def test_lasso_path_is_sklearns_lasso_path(diabetes):
    X, y = diabetes
    alphas = np.logspace(-1, 1.5, 8)
    ours = lasso_path(X, y, alphas)
    sk_alphas, coefs, _ = sk_lasso_path(X, y, alphas=alphas, tol=1e-14, max_iter=100_000)
    order = np.argsort(-alphas)  # scikit-learn returns the largest alpha first
    np.testing.assert_allclose(ours[order], coefs.T, atol=1e-5)
    assert (ours[alphas.argmax()] == 0).sum() > (ours[alphas.argmin()] == 0).sum(), "a stronger L1 zeroes more"


def test_soft_threshold():
    assert [soft_threshold(z, 1.0) for z in (-3.0, -0.5, 0.0, 0.5, 3.0)] == [-2.0, 0.0, 0.0, 0.0, 2.0]
