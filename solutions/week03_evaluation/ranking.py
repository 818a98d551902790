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
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: Start from the chapter's walk down the ranking (Week 3, "ROC curves and ROC-AUC"):
    ###         a positive is a step up, a negative a step right that adds the height reached so
    ###         far. What must change when several examples share one score? Edge case: one class
    ###         only (no pair to compare).
    ### HINT 2: Walk down the scores, highest first, one *group of equal scores* at a time, never
    ###         one example at a time. A group of p positives and q negatives is one diagonal
    ###         step, q to the right and p up: the area under it is a trapezoid. Divide the total
    ###         area by n_pos * n_neg.
    ### HINT 3: The trapezoid of a diagonal step is q * (height + p / 2), where height counts the
    ###         positives of the groups above it; then height += p. The groups of the sorted
    ###         scores start where np.diff(sorted_scores) is not 0; np.split cuts the sorted
    ###         labels there.
    n_pos = int(np.sum(y == 1))
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"ROC-AUC needs both classes in y_true; got {n_pos} positives and {n_neg} negatives")
    desc = np.argsort(-s, kind="stable")  # the highest score first
    s, y = s[desc], y[desc]
    starts = np.flatnonzero(np.diff(s)) + 1  # where each group of equal scores begins (after the first)
    height = area = 0.0
    for group in np.split(y, starts):  # one threshold per distinct score
        pos = int(np.sum(group == 1))
        neg = len(group) - pos
        area += neg * (height + pos / 2)  # a diagonal step: each tied (positive, negative) pair counts 1/2
        height += pos
    return float(area / (n_pos * n_neg))
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
    ### BEGIN SOLUTION (Task 3)
    ### HINT 1: The formula is in the docstring: one threshold per distinct score, from the highest
    ###         down. At a threshold every example scoring at least it is flagged, so a group of
    ###         equal scores is flagged all at once: one term of the sum, not one term each.
    ### HINT 2: Sort by score, highest first. The thresholds are the last positions of the groups
    ###         of equal scores; the cumulative count of positives there is the number of flagged
    ###         positives, and the position + 1 is the number flagged. Then precision and recall at
    ###         each threshold, and sum (recall gain) * precision with R_0 = 0.
    ### HINT 3: last = the indices where np.diff(sorted_scores) != 0, plus the final index;
    ###         tp = np.cumsum(sorted_labels == 1)[last]; precision = tp / (last + 1);
    ###         recall = tp / n_pos; AP = sum of np.diff(np.r_[0, recall]) * precision.
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
