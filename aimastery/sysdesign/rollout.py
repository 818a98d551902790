"""Canary rollout with automatic rollback on the error rate, simulated.

Taught in ``book/sysdesign/model_serving.md``. A new model version receives
a growing share of traffic in stages; after every check window the rollout
compares the canary's error rate with the baseline's (a one-sided
two-proportion z-test on the counts so far) and rolls back when the canary is
worse beyond ``z_crit``. :func:`simulate_canary` runs many such rollouts at
once and reports how often a bad release is caught, how many users it hurt
first, and how often a good release is rolled back by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CanaryPolicy:
    """The rollout plan: traffic shares per stage, checks per stage, the rollback rule."""

    stages: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5, 1.0)
    checks_per_stage: int = 10
    z_crit: float = 3.0
    min_canary_requests: int = 200

    def __post_init__(self) -> None:
        if not self.stages or any(not 0 < s <= 1 for s in self.stages) or list(self.stages) != sorted(self.stages):
            raise ValueError(f"stages must be increasing traffic shares in (0, 1], got {self.stages}")
        if self.checks_per_stage < 1 or self.z_crit <= 0 or self.min_canary_requests < 0:
            raise ValueError("need checks_per_stage >= 1, z_crit > 0 and min_canary_requests >= 0")


@dataclass
class CanaryOutcome:
    rolled_back: np.ndarray  # (n_trials,) bool
    stage_at_rollback: np.ndarray  # (n_trials,) stage index, -1 if never rolled back
    canary_requests: np.ndarray  # (n_trials,) requests the canary served in total
    excess_errors: np.ndarray  # (n_trials,) canary errors beyond what the baseline would have made

    @property
    def rollback_rate(self) -> float:
        return float(self.rolled_back.mean())


def z_two_proportions(err_a: np.ndarray, n_a: np.ndarray, err_b: np.ndarray, n_b: np.ndarray) -> np.ndarray:
    """Pooled two-proportion z statistic for ``rate_a - rate_b`` (0 where undefined)."""
    err_a, n_a, err_b, n_b = (np.asarray(x, dtype=np.float64) for x in (err_a, n_a, err_b, n_b))
    pooled = (err_a + err_b) / np.maximum(n_a + n_b, 1)
    se = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(n_a, 1) + 1 / np.maximum(n_b, 1)))
    diff = err_a / np.maximum(n_a, 1) - err_b / np.maximum(n_b, 1)
    return np.divide(diff, se, out=np.zeros_like(diff), where=se > 0)


def simulate_canary(baseline_error: float, canary_error: float, requests_per_check: int,
                    policy: CanaryPolicy, n_trials: int, rng: np.random.Generator) -> CanaryOutcome:
    """Run ``n_trials`` independent rollouts of a release whose true error rate is ``canary_error``.

    Each check window carries ``requests_per_check`` requests, split between
    canary and baseline by the stage's share. Counts accumulate over the
    whole rollout; a trial rolls back at the first check where the canary has
    served at least ``min_canary_requests`` and ``z > z_crit``. After a
    rollback the canary serves nothing more.
    """
    for name, p in (("baseline_error", baseline_error), ("canary_error", canary_error)):
        if not 0 <= p <= 1:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
    if requests_per_check < 1 or n_trials < 1:
        raise ValueError("need requests_per_check >= 1 and n_trials >= 1")
    n_c = np.zeros(n_trials)
    e_c = np.zeros(n_trials)
    n_b = np.zeros(n_trials)
    e_b = np.zeros(n_trials)
    alive = np.ones(n_trials, dtype=bool)
    stage_at = np.full(n_trials, -1)
    for s, share in enumerate(policy.stages):
        for _ in range(policy.checks_per_stage):
            to_canary = rng.binomial(requests_per_check, share, n_trials) * alive
            to_base = requests_per_check - to_canary
            n_c += to_canary
            e_c += rng.binomial(to_canary.astype(np.int64), canary_error)
            n_b += to_base
            e_b += rng.binomial(to_base.astype(np.int64), baseline_error)
            z = z_two_proportions(e_c, n_c, e_b, n_b)
            fail = alive & (n_c >= policy.min_canary_requests) & (z > policy.z_crit)
            stage_at[fail] = s
            alive &= ~fail
    return CanaryOutcome(~alive, stage_at, n_c, e_c - baseline_error * n_c)


def blue_green_excess_errors(baseline_error: float, new_error: float, requests_per_check: int,
                             checks_to_detect: int) -> float:
    """Excess errors when all traffic switches at once and the switch back comes after ``checks_to_detect`` windows."""
    return (new_error - baseline_error) * requests_per_check * checks_to_detect
