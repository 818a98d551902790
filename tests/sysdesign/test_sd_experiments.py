"""Sample size and power, Thompson sampling, and the sequential test's error rate."""

import numpy as np
import pytest

from aimastery.sysdesign.experiments import (
    always_valid_p, assign_variant, srm_p_value, fixed_split, msprt_log_lr, power_two_proportions, sample_size_per_arm, simulate_peeking,
    thompson_sampling,
)


def test_sample_size_textbook_value_and_power_round_trip():
    n = sample_size_per_arm(0.10, 0.02)
    assert n == 3841  # (1.96 sqrt(2 .11 .89) + 0.8416 sqrt(.09 + .1056))^2 / .02^2
    assert power_two_proportions(n, 0.10, 0.12) == pytest.approx(0.8, abs=0.002)
    assert sample_size_per_arm(0.10, 0.2, relative=True) == n
    assert sample_size_per_arm(0.10, 0.01) > 3.5 * n  # half the effect, about four times the users
    with pytest.raises(ValueError, match="p_base"):
        sample_size_per_arm(1.2, 0.01)


def test_power_matches_simulation():
    rng = np.random.default_rng(0)
    n, p0, p1 = 2000, 0.10, 0.125
    a = rng.binomial(n, p0, 4000) / n
    b = rng.binomial(n, p1, 4000) / n
    pooled = (a + b) / 2
    z = (b - a) / np.sqrt(2 * pooled * (1 - pooled) / n)
    assert np.mean(np.abs(z) > 1.96) == pytest.approx(power_two_proportions(n, p0, p1), abs=0.03)


def test_thompson_has_less_regret_than_a_fixed_split():
    ts = thompson_sampling([0.04, 0.05], 100, 200, np.random.default_rng(0))
    fx = fixed_split([0.04, 0.05], 100, 200, np.random.default_rng(0))
    assert ts.regret[-1] < 0.5 * fx.regret[-1]
    assert ts.share_best[-20:].mean() > 0.8 and abs(fx.share_best.mean() - 0.5) < 0.02
    assert ts.pulls.sum() == 100 * 200 and np.all(np.diff(ts.regret) >= 0)


def test_msprt_formula_and_always_valid_p():
    # one look, n = 4, sum of differences 2, sigma2 = 1, tau2 = 0.5
    lam = np.sqrt(1 / (1 + 4 * 0.5)) * np.exp(16 * 0.5 * 0.25 / (2 * 1 * (1 + 2)))
    assert msprt_log_lr(2.0, 4, 1.0, 0.5) == pytest.approx(np.log(lam))
    p = always_valid_p(np.array([np.log(2), np.log(1.5), np.log(40)]))
    np.testing.assert_allclose(p, [0.5, 0.5, 0.025])
    with pytest.raises(ValueError, match="sigma2"):
        msprt_log_lr(1.0, 1, 0.0, 1.0)


def test_peeking_inflates_type_one_error_and_msprt_holds_it():
    out = simulate_peeking(0.1, 0.1, 5000, 50, 2000, np.random.default_rng(0))
    se = np.sqrt(0.05 * 0.95 / 2000)
    assert out.naive_final_rejected.mean() < 0.05 + 3 * se  # one planned look is fine
    assert out.naive_rejected.mean() > 0.15  # fifty looks are not
    assert out.msprt_rejected.mean() <= 0.05 + 3 * se


def test_msprt_detects_a_real_effect():
    out = simulate_peeking(0.10, 0.13, 6000, 30, 300, np.random.default_rng(1))
    assert out.msprt_rejected.mean() > 0.8
    assert np.median(out.msprt_stop_n) < 6000


def test_assignment_is_stable_balanced_and_independent_across_experiments():
    users = [f"user-{i}" for i in range(10_000)]
    a = np.array([assign_variant(u, "exp-a", [0.5, 0.5]) for u in users])
    assert np.array_equal(a, [assign_variant(u, "exp-a", [0.5, 0.5]) for u in users])
    assert srm_p_value(np.bincount(a), [0.5, 0.5]) > 0.001
    b = np.array([assign_variant(u, "exp-b", [0.5, 0.5]) for u in users])
    assert abs(np.mean(a == b) - 0.5) < 0.02  # a new experiment reshuffles users
    c = np.array([assign_variant(u, "exp-c", [0.9, 0.1]) for u in users])
    assert np.mean(c == 1) == pytest.approx(0.1, abs=0.01)
    with pytest.raises(ValueError, match="sum to 1"):
        assign_variant("u", "e", [0.5, 0.6])


def test_srm_flags_a_broken_split():
    assert srm_p_value([5000, 5000], [0.5, 0.5]) == pytest.approx(1.0)
    assert srm_p_value([5200, 4800], [0.5, 0.5]) < 0.001
