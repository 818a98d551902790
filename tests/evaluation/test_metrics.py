"""The metrics of aimastery.evaluation against sklearn.metrics, on random inputs (ties included)."""

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given
from hypothesis import strategies as st

from aimastery.evaluation import metrics as m


@st.composite
def labels_and_predictions(draw):
    n_classes = draw(st.integers(2, 6))
    n = draw(st.integers(1, 60))
    labels = st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)
    return n_classes, np.array(draw(labels)), np.array(draw(labels))


@st.composite
def binary_scores(draw, need_both=True):
    """Labels with both classes, and scores drawn from few values (ties) or many."""
    n = draw(st.integers(2, 80))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if need_both:
        y[0], y[-1] = 0, 1
    few = draw(st.booleans())
    values = st.sampled_from([-1.0, 0.0, 0.25, 0.5, 3.0]) if few else st.floats(-1e6, 1e6, allow_nan=False)
    s = np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
    return y, s


@given(labels_and_predictions())
def test_confusion_matrix(case):
    C, y, p = case
    assert (m.confusion_matrix(y, p, C) == skm.confusion_matrix(y, p, labels=range(C))).all()


@given(labels_and_predictions(), st.sampled_from(m.AVERAGES))
def test_precision_recall_f1(case, average):
    C, y, p = case
    ours = m.precision_recall_f1(y, p, C, average)
    theirs = skm.precision_recall_fscore_support(y, p, labels=range(C), average=average, zero_division=0)[:3]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


@given(labels_and_predictions())
def test_micro_averages_equal_accuracy(case):
    C, y, p = case
    assert m.precision_recall_f1(y, p, C, "micro") == pytest.approx((np.mean(y == p),) * 3, abs=1e-12)


@given(binary_scores())
def test_roc_curve_and_auc(case):
    y, s = case
    fpr, tpr, thresholds = m.roc_curve(y, s)
    sk_fpr, sk_tpr, sk_thr = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-12)
    np.testing.assert_array_equal(thresholds[1:], sk_thr[1:])  # the first is +inf in both
    assert m.roc_auc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)


@given(binary_scores(need_both=False))
def test_precision_recall_curve_and_average_precision(case):
    y, s = case
    y[-1] = 1  # at least one positive (all positives is allowed)
    p, r, t = m.precision_recall_curve(y, s)
    sk_p, sk_r, sk_t = skm.precision_recall_curve(y, s)
    np.testing.assert_allclose(p, sk_p, atol=1e-12)
    np.testing.assert_allclose(r, sk_r, atol=1e-12)
    np.testing.assert_array_equal(t, sk_t)
    assert m.average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)


@given(binary_scores())
def test_auc_is_the_chance_that_a_positive_outscores_a_negative(case):
    y, s = case
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    pairs = np.mean((pos > neg) + 0.5 * (pos == neg))  # a tie counts half
    assert m.roc_auc(y, s) == pytest.approx(pairs, abs=1e-12)


@st.composite
def probabilities(draw):
    n_classes = draw(st.integers(2, 5))
    n = draw(st.integers(1, 40))
    raw = np.array(draw(st.lists(st.lists(st.floats(0, 1), min_size=n_classes, max_size=n_classes),
                                 min_size=n, max_size=n)))
    raw[:, 0] += 1e-3  # no all-zero row
    y = np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)))
    return y, raw / raw.sum(axis=1, keepdims=True)


@given(probabilities())
def test_log_loss(case):
    y, p = case
    expected = skm.log_loss(y, y_proba=p, labels=range(p.shape[1]))
    assert m.log_loss(y, p) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_log_loss_of_a_binary_probability_column():
    y = np.array([0, 1, 1, 0])
    p1 = np.array([0.1, 0.8, 1.0, 0.0])  # two certain answers: clipped, not infinite
    assert m.log_loss(y, p1) == pytest.approx(skm.log_loss(y, y_proba=p1), rel=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: m.roc_auc([1, 1, 1], [0.1, 0.2, 0.3]), "both classes"),
    (lambda: m.roc_auc([0, 2, 1], [0.1, 0.2, 0.3]), "binary labels"),
    (lambda: m.roc_auc([0, 1], [0.1, np.nan]), "finite"),
    (lambda: m.precision_recall_curve([0, 0], [0.1, 0.2]), "at least one positive"),
    (lambda: m.confusion_matrix([0, 3], [0, 1], 3), "outside 0..2"),
    (lambda: m.precision_recall_f1([0, 1], [0, 1], 2, "mean"), "average must be one of"),
    (lambda: m.log_loss([0, 1], [[0.5, 0.6], [0.5, 0.5]]), "sum to 1"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
