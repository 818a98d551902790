"""Lab 3 tests, tasks 2 and 3: ROC-AUC and average precision against scikit-learn, ties included."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from aimastery.labs.scratch import assert_written_from_scratch

from . import ranking
from .ranking import average_precision, roc_auc

TASK2 = pytest.mark.task(2, "ROC-AUC with ties")
TASK3 = pytest.mark.task(3, "average precision")


@st.composite
def labelled_scores(draw):
    """Both classes, and scores drawn either from five values (many ties) or from all floats."""
    tied = draw(st.booleans())
    n = draw(st.integers(2, 60))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    y[0], y[-1] = 0, 1  # both classes
    values = st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]) if tied else st.floats(-1e3, 1e3, allow_nan=False)
    s = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    return y, s


# ----- Task 2: ROC-AUC


@TASK2
def test_roc_auc_of_distinct_scores():
    y = np.array([0, 0, 1, 0, 1, 1])
    s = np.array([0.1, 0.35, 0.4, 0.8, 0.7, 0.9])
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert roc_auc(y, s) == pytest.approx(7 / 9, abs=1e-12), "7 of the 9 (positive, negative) pairs are in order"
    assert_written_from_scratch(ranking)


@TASK2
def test_a_tie_counts_one_half():
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.5, 0.5, 0.9])  # the positive at 0.5 ties with the negative at 0.5
    got = roc_auc(y, s)
    assert got == pytest.approx(0.875, abs=1e-12), (
        f"got {got}: 3 pairs are in order and 1 is tied, so AUC = (3 + 1/2) / 4 = 0.875. A tied "
        "(positive, negative) pair counts one half, however the sort happened to order them")


@TASK2
@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]])
def test_all_scores_equal_give_one_half_in_any_order(order):
    y, s = np.array([0, 1, 0, 1])[order], np.full(4, 0.3)
    assert roc_auc(y, s) == pytest.approx(0.5, abs=1e-12), \
        "with one score for everyone the classifier cannot tell anything apart: AUC 0.5, whatever the input order"


@TASK2
@settings(max_examples=100)
@given(labelled_scores())
def test_roc_auc_matches_sklearn(case):
    y, s = case
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


@TASK2
def test_roc_auc_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        roc_auc(np.array([1, 1, 1]), np.array([0.2, 0.4, 0.6]))


# ----- Task 3: average precision


@TASK3
def test_average_precision_by_hand():
    y = np.array([1, 0, 1, 0, 0, 1])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    # thresholds down the list: P = 1/1 at R = 1/3, 2/3 at R = 2/3, 3/6 at R = 1
    expected = (1 / 3) * 1 + (1 / 3) * (2 / 3) + (1 / 3) * (3 / 6)
    got = average_precision(y, s)
    assert got == pytest.approx(expected, abs=1e-12), f"got {got}, expected {expected:.6f}"
    assert got == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert_written_from_scratch(ranking)


@TASK3
def test_a_tie_is_one_threshold():
    y = np.array([1, 0, 1, 0])
    s = np.array([0.8, 0.8, 0.8, 0.1])  # three examples tied at the top: one threshold flags them all
    expected = 1.0 * (2 / 3)  # recall jumps from 0 to 1 at precision 2/3
    got = average_precision(y, s)
    assert got == pytest.approx(expected, abs=1e-12), (
        f"got {got}, expected 2/3: the three tied examples are flagged together (precision 2/3, recall 1); "
        "no threshold can flag some of them without the others")


@TASK3
@settings(max_examples=100)
@given(labelled_scores())
def test_average_precision_matches_sklearn(case):
    y, s = case
    assert average_precision(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12)


@TASK3
def test_average_precision_needs_a_positive():
    with pytest.raises(ValueError, match="positive"):
        average_precision(np.array([0, 0, 0]), np.array([0.2, 0.4, 0.6]))
