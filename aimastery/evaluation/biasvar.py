"""The bias–variance decomposition, measured by simulation.

Taught in Week 3 (book/week03_evaluation.md). Draw many training sets from
one known process ``y = f(x) + noise``, fit a polynomial of each degree to
every one of them, and look at the fits at fixed test inputs:

* **bias²**: how far the *average* fit is from ``f`` (squared, averaged over x);
* **variance**: how much the fits scatter around their average;
* **noise**: the variance of ``y`` around ``f``, which no model removes.

For squared error the three add up to the expected test error of a model
trained on a random training set, E[(y - ŷ)²] = bias² + variance + noise;
:func:`simulate` measures that test error directly, on fresh noisy targets,
so the sum can be checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre


def true_function(x: np.ndarray) -> np.ndarray:
    """The process the simulation samples: f(x) = sin 7x, a bit more than one period on [0, 1]."""
    return np.sin(7 * x)


def design(x: np.ndarray, degree: int) -> np.ndarray:
    """Polynomial features (..., n, degree + 1) of inputs x (..., n) in [0, 1].

    The Legendre basis on [-1, 1]: the same polynomials as the powers of x,
    but a far better conditioned least-squares problem at high degree.
    """
    return legendre.legvander(2 * x - 1, degree)


def fit_polynomials(x: np.ndarray, y: np.ndarray, degree: int) -> np.ndarray:
    """Least-squares coefficients (R, degree + 1) for R training sets at once: x, y (R, n)."""
    return np.einsum("rpn,rn->rp", np.linalg.pinv(design(x, degree)), y)


@dataclass(frozen=True)
class BiasVariance:
    """Per degree (D,): the three terms, their sum, and the measured test error."""

    degrees: np.ndarray
    bias2: np.ndarray
    variance: np.ndarray
    noise: float
    test_error: np.ndarray  # mean (y_new - prediction)^2 over training sets and test inputs
    train_error: np.ndarray  # mean training error over training sets
    x_test: np.ndarray  # (M,)
    predictions: np.ndarray  # (D, R, M): every fit at every test input

    @property
    def total(self) -> np.ndarray:
        return self.bias2 + self.variance + self.noise


def simulate(degrees: Sequence[int], *, n_train: int = 30, n_sets: int = 500, n_test: int = 200,
             noise_sd: float = 0.3, rng: np.random.Generator,
             f: Callable[[np.ndarray], np.ndarray] = true_function) -> BiasVariance:
    """Fit every degree to ``n_sets`` training sets of ``n_train`` points (x uniform on [0, 1]).

    Every degree sees the same training sets, and the same test inputs and
    fresh test targets, so the curves differ only by the model.
    """
    degrees = np.asarray(degrees)
    if degrees.min() < 0 or degrees.max() >= n_train:
        raise ValueError(f"degrees must lie in 0..{n_train - 1} (fewer coefficients than points), got {degrees}")
    x_train = rng.uniform(0, 1, size=(n_sets, n_train))
    y_train = f(x_train) + noise_sd * rng.standard_normal(x_train.shape)  # (R, n)
    x_test = np.sort(rng.uniform(0, 1, size=n_test))  # (M,)
    y_new = f(x_test) + noise_sd * rng.standard_normal((n_sets, n_test))  # (R, M) fresh targets
    preds = np.empty((len(degrees), n_sets, n_test))
    train_err = np.empty(len(degrees))
    for d, degree in enumerate(degrees):
        coef = fit_polynomials(x_train, y_train, int(degree))  # (R, degree + 1)
        preds[d] = coef @ design(x_test, int(degree)).T  # (R, M)
        fitted = np.einsum("rnp,rp->rn", design(x_train, int(degree)), coef)  # (R, n)
        train_err[d] = np.mean((fitted - y_train) ** 2)
    mean_pred = preds.mean(axis=1)  # (D, M): the average fit
    bias2 = np.mean((mean_pred - f(x_test)) ** 2, axis=1)
    variance = np.mean(preds.var(axis=1), axis=1)
    test_error = np.mean((y_new[None] - preds) ** 2, axis=(1, 2))
    return BiasVariance(degrees, bias2, variance, noise_sd ** 2, test_error, train_err, x_test, preds)
