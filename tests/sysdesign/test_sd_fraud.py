"""Streaming velocity features against pandas, the generator's imbalance, cost-optimal thresholds."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimastery.sysdesign.fraud import (
    VelocityFeatures, choose_threshold_by_cost, expected_cost, generate_transactions, rates_at,
    threshold_for_fpr, velocity_features_pandas,
)


def test_generated_stream_is_ordered_and_imbalanced():
    df = generate_transactions(2000, 10, np.random.default_rng(0))
    assert df.t.is_monotonic_increasing
    assert 0.001 <= df.is_fraud.mean() <= 0.01
    assert set(df.columns) == {"t", "card", "amount", "merchant", "hour", "is_fraud"}
    assert (df.amount > 0).all()


def test_velocity_features_match_pandas_rolling_on_generated_data():
    df = generate_transactions(300, 5, np.random.default_rng(1))
    windows = (60, 3600, 86_400)
    ours = VelocityFeatures(windows).transform(df.card, df.t, df.amount)
    oracle = velocity_features_pandas(df, windows)
    for j, name in enumerate(oracle.columns):
        np.testing.assert_allclose(ours[:, j], oracle[name].to_numpy(), rtol=1e-9, atol=1e-6, err_msg=name)


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40), st.integers(1, 100)), min_size=1, max_size=40))
def test_velocity_features_match_pandas_with_ties(events):
    gaps = [g for _, g, _ in events]
    df = pd.DataFrame({"card": [c for c, _, _ in events], "t": np.cumsum(gaps).astype(float),
                       "amount": [float(a) for _, _, a in events]})
    ours = VelocityFeatures((10, 50)).transform(df.card, df.t, df.amount)
    oracle = velocity_features_pandas(df, (10, 50))
    np.testing.assert_allclose(ours[:, :4], oracle.to_numpy(), atol=1e-9)


def test_since_last_and_order_check():
    vf = VelocityFeatures((60,))
    assert vf.update("a", 0.0, 5.0) == [1.0, 5.0, float("inf")]
    assert vf.update("a", 30.0, 1.0) == [2.0, 6.0, 30.0]
    assert vf.update("a", 90.0, 2.0) == [2.0, 3.0, 60.0]  # [30, 90]: the event at 30 is still in
    assert vf.update("a", 150.5, 4.0) == [1.0, 4.0, 60.5]  # [90.5, 150.5]: only this one
    with pytest.raises(ValueError, match="time order"):
        vf.update("a", 10.0, 1.0)


def test_cost_threshold_is_the_brute_force_minimum():
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.05
    scores = np.round(np.where(y, rng.beta(4, 2, 400), rng.beta(2, 4, 400)), 2)  # many ties
    amounts = rng.uniform(5, 300, 400)
    thr, cost = choose_threshold_by_cost(y, scores, amounts, cost_fp=10.0, cost_review=1.0)
    candidates = np.r_[np.unique(scores), scores.max() + 1]
    brute = min(expected_cost(y, scores, amounts, t, 10.0, 1.0) for t in candidates)
    assert cost == pytest.approx(brute)
    assert expected_cost(y, scores, amounts, thr, 10.0, 1.0) == pytest.approx(cost)


def test_expensive_false_alarms_raise_the_threshold():
    rng = np.random.default_rng(1)
    y = rng.random(2000) < 0.02
    scores = np.where(y, rng.beta(5, 2, 2000), rng.beta(2, 5, 2000))
    amounts = np.full(2000, 100.0)
    low, _ = choose_threshold_by_cost(y, scores, amounts, cost_fp=1.0)
    high, _ = choose_threshold_by_cost(y, scores, amounts, cost_fp=50.0)
    assert high > low


def test_threshold_for_fpr():
    rng = np.random.default_rng(2)
    y = rng.random(5000) < 0.01
    scores = rng.random(5000)
    thr = threshold_for_fpr(y, scores, 0.001)
    assert rates_at(y, scores, thr)["fpr"] <= 0.001
    assert rates_at(y, scores, thr - 1e-3)["fpr"] > 0.001 or thr <= scores.min()
    with pytest.raises(ValueError):
        threshold_for_fpr(y, scores, 2.0)
