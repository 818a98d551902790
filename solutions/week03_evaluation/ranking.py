"""Lab 3, tasks 2 and 3 — ROC-AUC with ties, and average precision.

Taught in Week 3 (book/week03_evaluation.md), which computes ROC-AUC by
sorting when no two scores are equal. Write both with NumPy alone: the tests
compare them with ``sklearn.metrics.roc_auc_score`` and
``average_precision_score`` on random scores, many of them tied.

``y_true`` holds 0 (negative) and 1 (positive); ``scores`` are real numbers,
higher meaning "more likely positive". A threshold flags every example whose
score is at least the threshold, so examples with equal scores are always
flagged together.
"""

from __future__ import annotations

import numpy as np


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve, ties included.

    Equivalently, the chance that a random positive scores higher than a
    random negative, a tie counting one half. Raise ``ValueError`` (saying
    that both classes are needed) when ``y_true`` has only one class.
    """
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    ### BEGIN SOLUTION: count positives and negatives (ValueError if either is 0); give every example its rank by score (1 = lowest), a group of equal scores sharing the mean of its ranks; then AUC = (sum of the positives' ranks - n_pos (n_pos + 1) / 2) / (n_pos n_neg)
    n_pos = int(np.sum(y == 1))
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"ROC-AUC needs both classes in y_true; got {n_pos} positives and {n_neg} negatives")
    order = np.argsort(s, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(s[order])) + 1]  # where each group of equal scores begins
    ends = np.r_[starts[1:], len(s)]
    ranks = np.empty(len(s))
    for a, b in zip(starts, ends):
        ranks[order[a:b]] = (a + 1 + b) / 2  # the mean of the ranks a+1 .. b
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    ### END SOLUTION


def average_precision(y_true, scores) -> float:
    """Average precision: the sum over thresholds of (gain in recall) x precision.

    Take one threshold per distinct score, from the highest down; at each,
    precision = flagged positives / flagged, recall = flagged positives /
    all positives; AP = sum of (R_n - R_{n-1}) P_n, starting from R_0 = 0.
    Raise ``ValueError`` when ``y_true`` has no positive.
    """
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    ### BEGIN SOLUTION: sort by score, highest first; keep the last position of each group of equal scores; cumulative positives there give precision and recall at each threshold; then the sum of recall gains times precision
    n_pos = int(np.sum(y == 1))
    if n_pos == 0:
        raise ValueError("average precision needs at least one positive in y_true")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # a tie is flagged all at once
    tp = np.cumsum(y == 1)[last]
    precision = tp / (last + 1)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    ### END SOLUTION
