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
    # TODO: count positives and negatives (ValueError if either is 0); give every example its rank by score (1 = lowest), a group of equal scores sharing the mean of its ranks; then AUC = (sum of the positives' ranks - n_pos (n_pos + 1) / 2) / (n_pos n_neg)
    raise NotImplementedError('Lab 3 · roc_auc in ranking.py: not implemented yet (the TODO just above says what to write)')


def average_precision(y_true, scores) -> float:
    """Average precision: the sum over thresholds of (gain in recall) x precision.

    Take one threshold per distinct score, from the highest down; at each,
    precision = flagged positives / flagged, recall = flagged positives /
    all positives; AP = sum of (R_n - R_{n-1}) P_n, starting from R_0 = 0.
    Raise ``ValueError`` when ``y_true`` has no positive.
    """
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    # TODO: sort by score, highest first; keep the last position of each group of equal scores; cumulative positives there give precision and recall at each threshold; then the sum of recall gains times precision
    raise NotImplementedError('Lab 3 · average_precision in ranking.py: not implemented yet (the TODO just above says what to write)')
