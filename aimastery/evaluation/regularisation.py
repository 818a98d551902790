"""Regularisation paths: ridge (L2) in closed form, lasso (L1) by coordinate descent.

Taught in Week 3 (book/week03_evaluation.md). Both minimise a squared error
plus a penalty on the weights ``w`` (no intercept: centre ``X`` and ``y`` first),
with scikit-learn's conventions for the strength ``alpha``:

* ridge, ``sklearn.linear_model.Ridge``: ||y - Xw||² + alpha ||w||²,
  solved exactly by w = (XᵀX + alpha I)⁻¹ Xᵀy;
* lasso, ``sklearn.linear_model.Lasso``: ||y - Xw||² / (2n) + alpha ||w||₁,
  which has no closed form. Coordinate descent updates one weight at a
  time, exactly: with the others fixed, the best w_j is the least-squares
  value *soft-thresholded* by alpha, and soft-thresholding sets small
  values to exactly zero. That is why the lasso selects features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def ridge_path(X: np.ndarray, y: np.ndarray, alphas: Sequence[float]) -> np.ndarray:
    """Ridge weights (A, p) for each ``alpha``; X (n, p) and y (n,) centred."""
    gram, xty = X.T @ X, X.T @ y  # (p, p), (p,)
    eye = np.eye(X.shape[1])
    return np.stack([np.linalg.solve(gram + a * eye, xty) for a in alphas])


def soft_threshold(z: float, t: float) -> float:
    """sign(z) max(|z| - t, 0): shrink towards 0 by t, and stop at 0."""
    return float(np.sign(z) * max(abs(z) - t, 0.0))


def lasso_path(X: np.ndarray, y: np.ndarray, alphas: Sequence[float], *, tol: float = 1e-10,
               max_sweeps: int = 10_000) -> np.ndarray:
    """Lasso weights (A, p) for each ``alpha``, by cyclic coordinate descent.

    Solves the alphas from largest to smallest, each starting from the
    previous solution (a warm start, as ``sklearn.linear_model.lasso_path``
    does), and stops a solve when no weight moved more than ``tol`` in a sweep.
    """
    n, p = X.shape
    gram, xty = X.T @ X / n, X.T @ y / n  # (p, p), (p,): the problem only needs these
    w = np.zeros(p)
    order = np.argsort(alphas)[::-1]
    path = np.empty((len(alphas), p))
    for a in order:
        alpha = alphas[a]
        for _ in range(max_sweeps):
            biggest_step = 0.0
            for j in range(p):
                # the gradient of the squared error along w_j, without w_j's own part
                rho = xty[j] - gram[j] @ w + gram[j, j] * w[j]
                new = soft_threshold(rho, alpha) / gram[j, j]
                biggest_step = max(biggest_step, abs(new - w[j]))
                w[j] = new
            if biggest_step < tol:
                break
        else:
            raise RuntimeError(f"lasso did not converge at alpha={alpha} in {max_sweeps} sweeps")
        path[a] = w
    return path
