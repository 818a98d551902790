"""Classification metrics from scratch, each equal to its ``sklearn.metrics`` twin.

Taught in Week 3 (book/week03_evaluation.md). Labels are integers
``0 .. C-1``; a binary task's labels are 0/1 (or booleans) and its scores any
real numbers, higher meaning "more likely positive". Ties between scores are
handled as scikit-learn handles them: all examples with one score are
flagged together, so a curve has one point per distinct score.

The tests (tests/evaluation/test_metrics.py) compare every function with
scikit-learn on random inputs drawn by hypothesis, ties included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AVERAGES = (None, "macro", "micro", "weighted")


def _labels(y, n_classes: int, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) and y.dtype != bool:
        raise ValueError(f"{name} must be a 1-D array of integer labels, got {y.dtype} of shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} holds labels outside 0..{n_classes - 1}: {sorted(set(y.tolist()) - set(range(n_classes)))[:5]}")
    return y.astype(np.int64)


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts (C, C): row = true label, column = predicted label."""
    t = _labels(y_true, n_classes, "y_true")
    p = _labels(y_pred, n_classes, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} must "
                         "have the same length")
    pairs = np.bincount(t * n_classes + p, minlength=n_classes ** 2)
    return pairs.reshape(n_classes, n_classes)


def _ratio(num, den):
    """num / den, 0 where den is 0 (scikit-learn's zero_division=0)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den != 0)


def precision_recall_f1(y_true, y_pred, n_classes: int, average="macro"):
    """Precision, recall and F1, per class (average=None) or averaged.

    "macro": the plain mean over classes; "weighted": the mean weighted
    by each class's number of true examples; "micro": from the counts
    summed over classes (for single-label data, all three equal the
    accuracy). A ratio with nothing to divide by counts as 0.
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, "
                         f"got {average!r}")
    cm = confusion_matrix(y_true, y_pred, n_classes)
    tp = np.diag(cm)  # (C,)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)  # (C,) each
    if average == "micro":
        tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, actual)
    f1 = _ratio(2 * tp, predicted + actual)  # = 2PR / (P + R)
    if average is None:
        return precision, recall, f1
    if average == "micro":
        return float(precision), float(recall), float(f1)
    weights = np.ones(n_classes) if average == "macro" else actual
    if weights.sum() == 0:
        return 0.0, 0.0, 0.0
    return tuple(float(np.average(m, weights=weights))
                 for m in (precision, recall, f1))


def _binary(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim != 1 or y.shape != s.shape:
        raise ValueError(f"y_true and scores must be 1-D of the same length, got {y.shape} and {s.shape}")
    if not np.isin(y, [0, 1]).all():
        raise ValueError("y_true must hold binary labels, 0 (negative) and 1 (positive)")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite numbers (no NaN or infinity)")
    return y.astype(np.int64), s


@dataclass(frozen=True)
class BinaryCounts:
    """Flag every example scoring >= ``thresholds[i]``: ``tps[i]`` positives and ``fps[i]`` negatives get flagged.

    One entry per distinct score, highest first.
    """

    thresholds: np.ndarray  # (T,) decreasing
    tps: np.ndarray  # (T,) increasing, ends at the number of positives
    fps: np.ndarray  # (T,) increasing, ends at the number of negatives


def binary_counts(y_true, scores) -> BinaryCounts:
    """True and false positives at every distinct score (the core of both curves)."""
    y, s = _binary(y_true, scores)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last_of_score = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # a tie is flagged all at once
    tps = np.cumsum(y)[last_of_score]
    fps = last_of_score + 1 - tps
    return BinaryCounts(s[last_of_score], tps, fps)


def _need_both_classes(counts: BinaryCounts, what: str) -> None:
    if counts.tps[-1] == 0 or counts.fps[-1] == 0:
        raise ValueError(f"{what} needs both classes in y_true (positives and negatives); "
                         f"got {counts.tps[-1]} positives and {counts.fps[-1]} negatives")


def roc_curve(y_true, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-positive rate, true-positive rate and thresholds, from (0, 0) at threshold +inf.

    As ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``.
    """
    c = binary_counts(y_true, scores)
    _need_both_classes(c, "a ROC curve")
    fpr = np.r_[0.0, c.fps / c.fps[-1]]
    tpr = np.r_[0.0, c.tps / c.tps[-1]]
    return fpr, tpr, np.r_[np.inf, c.thresholds]


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve (trapezoids; a tie is a diagonal step, worth half)."""
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.trapezoid(tpr, fpr))


def precision_recall_curve(y_true, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall (lowest threshold first) and thresholds, as scikit-learn orders them.

    The last point is (recall 0, precision 1), with no threshold.
    """
    c = binary_counts(y_true, scores)
    if c.tps[-1] == 0:
        raise ValueError("a precision-recall curve needs at least one positive in y_true")
    precision = _ratio(c.tps, c.tps + c.fps)
    recall = c.tps / c.tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], c.thresholds[::-1]


def average_precision(y_true, scores) -> float:
    """Average precision: sum over thresholds of (gain in recall) x precision."""
    precision, recall, _ = precision_recall_curve(y_true, scores)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def log_loss(y_true, probs) -> float:
    """Mean cross-entropy of the true labels under ``probs`` (N, C), or (N,) = P(label 1).

    Probabilities are clipped to [eps, 1 - eps] first, as scikit-learn does,
    so that a confident mistake costs a large but finite loss.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1:
        p = np.stack([1 - p, p], axis=1)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"probs must be (N, C) with C >= 2, or (N,) for a binary task; got shape {np.shape(probs)}")
    if p.min() < 0 or p.max() > 1 or not np.allclose(p.sum(axis=1), 1.0, rtol=np.sqrt(np.finfo(float).eps)):
        raise ValueError("each row of probs must be probabilities in [0, 1] that sum to 1")
    y = _labels(y_true, p.shape[1], "y_true")
    if y.shape != (len(p),):
        raise ValueError(f"y_true has {y.shape[0]} labels for {len(p)} rows of probs")
    eps = np.finfo(np.float64).eps
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], eps, 1 - eps))))
