"""Lab 3, tasks 2 and 3 — ROC-AUC with ties, and average precision.

Taught in Week 3 (book/week03_evaluation.md), which computes ROC-AUC by
walking down the sorted scores when no two are equal. Write both with NumPy alone: the tests
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
    # TODO: Start from the chapter's walk down the ranking (Week 3, "ROC curves and ROC-AUC"):
    #       a positive is a step up, a negative a step right that adds the height reached so
    #       far. What must change when several examples share one score? Edge case: one class
    #       only (no pair to compare).
    # Stuck? One more hint at a time: make lab-check WEEK=03 HINT=2 (in the notebook: check(2, hint=2))
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
    # TODO: The formula is in the docstring: one threshold per distinct score, from the highest
    #       down. At a threshold every example scoring at least it is flagged, so a group of
    #       equal scores is flagged all at once: one term of the sum, not one term each.
    # Stuck? One more hint at a time: make lab-check WEEK=03 HINT=2 (in the notebook: check(3, hint=2))
    raise NotImplementedError('Lab 3 · average_precision in ranking.py: not implemented yet (the TODO just above says what to write)')
