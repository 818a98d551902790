"""The canary simulation: bad releases are caught early, good ones rarely rolled back."""

import numpy as np
import pytest

from aimastery.sysdesign.rollout import CanaryPolicy, blue_green_excess_errors, simulate_canary, z_two_proportions


def test_z_statistic():
    assert z_two_proportions(10, 100, 10, 100) == 0
    z = z_two_proportions(20, 100, 10, 100)
    pooled = 30 / 200
    assert z == pytest.approx(0.1 / np.sqrt(pooled * (1 - pooled) * 0.02))
    assert z_two_proportions(0, 0, 0, 10) == 0


def test_bad_release_is_rolled_back_in_an_early_stage():
    out = simulate_canary(0.01, 0.05, 10_000, CanaryPolicy(), 500, np.random.default_rng(0))
    assert out.rollback_rate == 1.0
    assert (out.stage_at_rollback <= 1).all()
    assert out.canary_requests.mean() < 0.05 * 10_000 * 10 * 5  # well before full traffic


def test_good_release_rarely_rolled_back_and_peeking_needs_a_strict_z():
    rng = np.random.default_rng(1)
    strict = simulate_canary(0.01, 0.01, 10_000, CanaryPolicy(z_crit=3.0), 2000, rng)
    lax = simulate_canary(0.01, 0.01, 10_000, CanaryPolicy(z_crit=1.64), 2000, rng)
    assert strict.rollback_rate < 0.08
    assert lax.rollback_rate > 0.15  # 50 looks at 5 % each: far more than 5 %
    assert (strict.stage_at_rollback[~strict.rolled_back] == -1).all()


def test_validation_and_blue_green():
    with pytest.raises(ValueError, match="increasing"):
        CanaryPolicy(stages=(0.5, 0.1))
    with pytest.raises(ValueError, match="canary_error"):
        simulate_canary(0.01, 1.5, 10, CanaryPolicy(), 1, np.random.default_rng(0))
    assert blue_green_excess_errors(0.01, 0.05, 1000, 3) == pytest.approx(120)
