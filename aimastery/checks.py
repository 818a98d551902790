"""Checks that assert against an oracle with a tolerance (used from Week 1 on).

A check never prints a number for the reader to eyeball: it returns the error
it measured and raises ``AssertionError`` with a readable message when the
error is above tolerance. Chapters print the returned figure; lab tests rely
on the raise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np


def rel_error(actual, expected, eps: float = 1e-12) -> float:
    """Largest elementwise relative error ``|a - e| / max(|a| + |e|, eps)``.

    The symmetric form used by cs231n's gradient checks: 1e-7 or less means
    two float64 gradients agree; 1e-2 or more means one of them is wrong.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise ValueError(f"rel_error needs equal shapes, got {a.shape} and {e.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - e) / np.maximum(np.abs(a) + np.abs(e), eps)))


def _as_numbers(value, name: str, role: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{name}: the {role} value should be a number or an array of numbers, "
                             f"got {type(value).__name__} {value!r} (a Value's number is its .data)") from None


def assert_close(actual, expected, *, rtol: float = 1e-6, atol: float = 1e-9, name: str = "value") -> None:
    """Assert two arrays (or scalars) agree within ``atol + rtol * |expected|``.

    The message says what was compared, and gives the values themselves (or,
    for large arrays, the worst mismatch and where it is).
    """
    a = _as_numbers(actual, name, "computed")
    e = _as_numbers(expected, name, "expected")
    if a.shape != e.shape:
        raise AssertionError(f"{name}: shape {a.shape} differs from the expected {e.shape}")
    close = np.isclose(a, e, rtol=rtol, atol=atol) | (np.isnan(a) & np.isnan(e))
    if close.all():
        return
    if a.size <= 6:
        # on one line, also for a (2, 3) array: a report's summary line keeps the expected value
        got, want = (" ".join(np.array2string(x, precision=6, separator=", ").split()) if x.ndim
                     else f"{float(x):.6g}" for x in (a, e))
        raise AssertionError(f"{name}: got {got}, expected {want}")
    worst = np.unravel_index(np.argmax(np.where(close, -np.inf, np.abs(a - e))), a.shape)
    raise AssertionError(f"{name}: {int((~close).sum())} of {a.size} values differ; worst at index {tuple(map(int, worst))}: "
                         f"got {a[worst]:.6g}, expected {e[worst]:.6g}")


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every element ``i``; its error
    is O(h^2) from truncation plus O(eps / h) from rounding, so use float64.
    ``x`` is perturbed in place and restored.
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient needs a float64 array for accuracy, got {x.dtype}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writes reach x and grad
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = float(f(x))
        flat[i] = old - h
        f_minus = float(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def check_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic: np.ndarray,
    *,
    tol: float = 1e-6,
    h: float = 1e-5,
    name: str = "gradient",
) -> float:
    """Compare an analytic gradient with central differences; return the relative error.

    Raises ``AssertionError`` when :func:`rel_error` exceeds ``tol``.
    """
    numeric = numerical_gradient(f, x, h=h)
    if np.shape(analytic) != numeric.shape:
        raise AssertionError(f"{name}: shape {np.shape(analytic)} differs from the parameter's {numeric.shape}")
    err = rel_error(analytic, numeric)
    if not err <= tol:  # also catches NaN
        raise AssertionError(f"{name}: relative error {err:.2e} against finite differences exceeds {tol:.0e}")
    return err


#: What a NumPy floating-point error in a softmax or a cross-entropy most often means.
FLOAT_ERROR_HINTS = (
    ("overflow", "an exp overflowed: subtract each row's own maximum before exp (the log-sum-exp trick)"),
    ("divide by zero", "a log of 0: a probability that rounds to 0 (e.g. exp(-1000)) has no log, so compute "
                       "the log-probabilities directly, shifted - log(sum(exp(shifted))), never log(softmax)"),
    ("invalid", "a nan (inf - inf, inf / inf or 0 * inf): an exp overflowed somewhere; shift each row by its "
                "own maximum before exp"),
)


@contextmanager
def float_errors_explained(what: str) -> Iterator[None]:
    """Turn NumPy's overflow, log(0) and nan inside the block into an ``AssertionError`` that says what
    probably caused it (used by the softmax tests of Labs 2 and 4). Underflow to 0 is allowed: it is
    what a stable softmax does with a hopeless class."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        try:
            yield
        except FloatingPointError as err:
            hint = next((h for key, h in FLOAT_ERROR_HINTS if key in str(err)), "")
            raise AssertionError(f"{what}: NumPy says {err}: {hint}" if hint else f"{what}: {err}") from None
