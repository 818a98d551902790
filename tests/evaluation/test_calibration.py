"""Reliability bins against scikit-learn's calibration_curve; ECE; temperature scaling."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn.calibration import calibration_curve

from aimastery.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    nll_at_temperature,
    reliability,
    softmax_at_temperature,
)


@st.composite
def predictions(draw):
    n = draw(st.integers(1, 60))
    edges = st.sampled_from([0.0, 0.2, 0.5, 0.8, 1.0])  # values on bin edges: ties with the edges
    conf = draw(st.lists(st.one_of(st.floats(0, 1), edges), min_size=n, max_size=n))
    correct = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return np.array(correct), np.array(conf), draw(st.integers(1, 12))


@given(predictions())
def test_bins_are_sklearns(case):
    correct, conf, n_bins = case
    r = reliability(correct, conf, n_bins)
    prob_true, prob_pred = calibration_curve(correct, conf, n_bins=n_bins, strategy="uniform")
    full = r.count > 0
    np.testing.assert_allclose(r.accuracy[full], prob_true, atol=1e-12)
    np.testing.assert_allclose(r.confidence[full], prob_pred, atol=1e-12)
    assert r.count.sum() == len(conf)


@given(predictions())
def test_ece_is_the_weighted_gap(case):
    correct, conf, n_bins = case
    total = 0.0
    for lo, hi in zip(np.linspace(0, 1, n_bins + 1)[:-1], np.linspace(0, 1, n_bins + 1)[1:]):
        inside = (conf > lo) & (conf <= hi) if lo > 0 else (conf >= lo) & (conf <= hi)
        if inside.any():
            total += inside.sum() * abs(correct[inside].mean() - conf[inside].mean())
    assert reliability(correct, conf, n_bins).ece == pytest.approx(total / len(conf), abs=1e-12)


def test_a_calibrated_model_has_small_ece_and_an_overconfident_one_does_not():
    rng = np.random.default_rng(0)
    logits = 2 * rng.standard_normal((20_000, 5))
    y = np.array([rng.choice(5, p=p) for p in softmax(logits, axis=1)])  # labels drawn from the model itself
    assert expected_calibration_error(softmax(logits, axis=1), y) < 0.02  # finite-sample ECE is not 0
    assert expected_calibration_error(softmax(3 * logits, axis=1), y) > 0.1


def test_temperature_scaling_recovers_the_temperature_and_lowers_ece():
    rng = np.random.default_rng(1)
    logits = 1.5 * rng.standard_normal((8000, 10))
    y = np.array([rng.choice(10, p=p) for p in softmax(logits, axis=1)])
    overconfident = 2.5 * logits  # what a model that learned its scale wrong would output
    t = fit_temperature(overconfident, y)
    assert t == pytest.approx(2.5, rel=0.05)
    grid = np.exp(np.linspace(np.log(0.5), np.log(10), 400))
    best_on_grid = grid[np.argmin([nll_at_temperature(overconfident, y, g) for g in grid])]
    assert t == pytest.approx(best_on_grid, rel=0.01)
    before = expected_calibration_error(softmax_at_temperature(overconfident, 1.0), y)
    after = expected_calibration_error(softmax_at_temperature(overconfident, t), y)
    assert after < before / 3
    assert (softmax_at_temperature(overconfident, t).argmax(1) == overconfident.argmax(1)).all(), \
        "a temperature never changes the predicted class"


@pytest.mark.parametrize("call, message", [
    (lambda: reliability([0, 1], [0.2, 1.3]), r"\[0, 1\]"),
    (lambda: reliability([0, 2], [0.2, 0.3]), "0 \\(wrong\\) and 1"),
    (lambda: reliability([0, 1], [0.2, 0.3], n_bins=0), "positive integer"),
    (lambda: fit_temperature(np.zeros((3, 2)), np.zeros(4, int)), r"\(N, C\)"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
