"""Calibration: reliability diagrams, expected calibration error, temperature scaling.

Taught in Week 3 (book/week03_evaluation.md). A classifier is calibrated
when, of the examples it gives confidence 0.8, about 80 % are right. The
*top-label* view used here (after Guo et al., 2017) looks at the confidence
of the predicted class, ``probs.max(axis=1)``, and whether that prediction
was right.

Bins are those of ``sklearn.calibration.calibration_curve(strategy="uniform")``:
``n_bins`` equal widths on [0, 1], each closed on the right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax


@dataclass(frozen=True)
class Reliability:
    """Per bin: how many examples, their mean confidence, and the fraction that were right."""

    edges: np.ndarray  # (n_bins + 1,) from 0 to 1
    count: np.ndarray  # (n_bins,) int
    confidence: np.ndarray  # (n_bins,) mean confidence in the bin (NaN when empty)
    accuracy: np.ndarray  # (n_bins,) fraction right in the bin (NaN when empty)

    @property
    def ece(self) -> float:
        """Expected calibration error: the count-weighted mean gap |accuracy - confidence|."""
        full = self.count > 0
        gaps = np.abs(self.accuracy[full] - self.confidence[full])
        return float(np.sum(self.count[full] * gaps) / self.count.sum())


def reliability(correct, confidence, n_bins: int = 15) -> Reliability:
    """Bin the ``confidence`` (N,) in [0, 1] of predictions whose ``correct`` (N,) is 0/1."""
    correct = np.asarray(correct, dtype=np.float64)
    confidence = np.asarray(confidence, dtype=np.float64)
    if correct.ndim != 1 or correct.shape != confidence.shape or not correct.size:
        raise ValueError(f"correct and confidence must be 1-D, non-empty and of one length; "
                         f"got {correct.shape} and {confidence.shape}")
    if not np.isin(correct, [0, 1]).all():
        raise ValueError("correct must hold 0 (wrong) and 1 (right)")
    if not (np.all(confidence >= 0) and np.all(confidence <= 1)):
        raise ValueError("confidence must lie in [0, 1] (NaN is not a confidence)")
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_of = np.searchsorted(edges[1:-1], confidence)  # (a, b]: as scikit-learn bins
    count = np.bincount(bin_of, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(bin_of, weights=confidence, minlength=n_bins) / count
        acc = np.bincount(bin_of, weights=correct, minlength=n_bins) / count
    return Reliability(edges, count, mean_conf, acc)


def top_label(probs, y_true) -> tuple[np.ndarray, np.ndarray]:
    """(correct, confidence) of each row's predicted class: probs (N, C), labels (N,)."""
    probs = np.asarray(probs, dtype=np.float64)
    y_true = np.asarray(y_true)
    if probs.ndim != 2 or y_true.shape != (len(probs),):
        raise ValueError(f"probs must be (N, C) and y_true (N,); got {probs.shape} and {y_true.shape}")
    return (probs.argmax(axis=1) == y_true).astype(np.float64), probs.max(axis=1)


def expected_calibration_error(probs, y_true, n_bins: int = 15) -> float:
    """Top-label ECE of class probabilities (N, C) against labels (N,)."""
    return reliability(*top_label(probs, y_true), n_bins=n_bins).ece


def nll_at_temperature(logits, y_true, temperature: float) -> float:
    """Mean cross-entropy of ``softmax(logits / temperature)``."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    return float(-np.mean(log_softmax(z, axis=1)[np.arange(len(z)), y_true]))


def fit_temperature(logits, y_true, bounds=(0.05, 20.0)) -> float:
    """The T > 0 that minimises the cross-entropy of softmax(logits / T).

    Fit it on held-out data (a validation set), never on the training
    set, where an overfitted network looks confident and right. One
    parameter, so a bounded 1-D search over log T does it.
    """
    logits = np.asarray(logits, dtype=np.float64)  # (N, C)
    y_true = np.asarray(y_true)  # (N,)
    shapes_ok = logits.ndim == 2 and y_true.shape == (len(logits),)
    if not shapes_ok or not len(y_true):
        raise ValueError(f"logits must be (N, C) and y_true (N,), N > 0; "
                         f"got {logits.shape} and {y_true.shape}")

    def nll(log_t):
        return nll_at_temperature(logits, y_true, np.exp(log_t))

    result = minimize_scalar(nll, bounds=np.log(bounds), method="bounded",
                             options={"xatol": 1e-6})
    return float(np.exp(result.x))


def softmax_at_temperature(logits, temperature: float) -> np.ndarray:
    """Class probabilities (N, C) of ``logits / temperature``."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1)
