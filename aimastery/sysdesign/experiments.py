"""A/B testing: sample size and power, Thompson sampling, peeking and a valid sequential test.

Taught in ``book/sysdesign/ab_testing.md``.

* :func:`assign_variant` and :func:`srm_p_value`: stateless assignment by
  hashing, and the check that it (and logging) worked.
* :func:`sample_size_per_arm` and :func:`power_two_proportions`: the
  two-sided two-proportion z-test's classic formulas.
* :func:`thompson_sampling` and :func:`fixed_split`: a Bernoulli bandit
  served in batches, with its cumulative regret.
* :func:`simulate_peeking`: many A/B tests looked at repeatedly; the naive
  z-test's rejections against those of the mixture sequential probability
  ratio test (mSPRT, Johari et al. 2017, :func:`msprt_log_lr`), whose
  always-valid p-value may be checked after every user.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


def assign_variant(user_id: str, experiment: str, weights: Sequence[float]) -> int:
    """The variant a user sees: a stable hash of (experiment, user) mapped onto the weights.

    The same user always gets the same variant of an experiment, with no
    state to store; a different experiment name reshuffles users, so that two
    experiments' assignments are independent. SHA-256 of
    ``"{experiment}:{user_id}"`` gives a uniform number in [0, 1).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size < 1 or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"weights must be non-negative and sum to 1, got {list(weights)}")
    digest = hashlib.sha256(f"{experiment}:{user_id}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    return int(min(np.searchsorted(np.cumsum(w), u, side="right"), w.size - 1))


def srm_p_value(counts: Sequence[int], weights: Sequence[float]) -> float:
    """Sample-ratio-mismatch check: chi-square p-value of the observed counts against the planned weights.

    A tiny p-value (below 0.001, say) means assignment or logging is broken:
    the experiment's results cannot be trusted, whatever they say.
    """
    counts = np.asarray(counts, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if counts.shape != w.shape or counts.sum() <= 0:
        raise ValueError("counts and weights must have the same length, with at least one user")
    return float(stats.chisquare(counts, counts.sum() * w / w.sum()).pvalue)


def _prob(name: str, p: float) -> None:
    if not 0 < p < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {p!r}")


def sample_size_per_arm(p_base: float, mde: float, alpha: float = 0.05, power: float = 0.8,
                        relative: bool = False) -> int:
    """Users per arm to detect a change ``mde`` in a conversion rate ``p_base``.

    Two-sided z-test for two proportions, ``alpha`` the false-positive rate,
    ``power`` the chance of detecting a true change of size ``mde`` (an
    absolute difference, or a fraction of ``p_base`` when ``relative``):
    ``n = (z_{1-a/2} sqrt(2 pbar qbar) + z_{power} sqrt(p1 q1 + p2 q2))^2 / mde^2``.
    """
    _prob("p_base", p_base)
    _prob("alpha", alpha)
    _prob("power", power)
    delta = mde * p_base if relative else mde
    p2 = p_base + delta
    if delta == 0 or not 0 < p2 < 1:
        raise ValueError(f"the treated rate p_base + mde = {p2!r} must differ from p_base and lie in (0, 1)")
    pbar = (p_base + p2) / 2
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    n = (za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p_base * (1 - p_base) + p2 * (1 - p2))) ** 2 / delta**2
    return int(np.ceil(n))


def power_two_proportions(n_per_arm: int, p_base: float, p_treat: float, alpha: float = 0.05) -> float:
    """Probability that the two-sided pooled z-test at ``alpha`` rejects with ``n_per_arm`` users per arm."""
    _prob("p_base", p_base)
    _prob("p_treat", p_treat)
    if n_per_arm < 1:
        raise ValueError(f"n_per_arm must be >= 1, got {n_per_arm}")
    pbar = (p_base + p_treat) / 2
    se0 = np.sqrt(2 * pbar * (1 - pbar) / n_per_arm)  # under the null
    se1 = np.sqrt((p_base * (1 - p_base) + p_treat * (1 - p_treat)) / n_per_arm)
    za = stats.norm.ppf(1 - alpha / 2)
    d = abs(p_treat - p_base)
    return float(stats.norm.cdf((d - za * se0) / se1) + stats.norm.cdf((-d - za * se0) / se1))


@dataclass
class BanditRun:
    pulls: np.ndarray  # (n_batches, n_arms) users sent to each arm per batch
    rewards: np.ndarray  # (n_batches, n_arms) conversions per arm per batch
    regret: np.ndarray  # (n_batches,) cumulative expected regret after each batch
    best_arm: int  # the arm with the highest true rate

    @property
    def share_best(self) -> np.ndarray:
        """Fraction of each batch sent to the truly best arm."""
        return self.pulls[:, self.best_arm] / self.pulls.sum(1)


def _run_policy(true_rates: np.ndarray, n_batches: int, batch_size: int, rng: np.random.Generator,
                choose) -> BanditRun:
    true_rates = np.asarray(true_rates, dtype=np.float64)
    if true_rates.ndim != 1 or true_rates.size < 2 or np.any((true_rates < 0) | (true_rates > 1)):
        raise ValueError("true_rates must list at least two conversion rates in [0, 1]")
    if n_batches < 1 or batch_size < 1:
        raise ValueError("need n_batches >= 1 and batch_size >= 1")
    k = true_rates.size
    successes, failures = np.zeros(k), np.zeros(k)
    pulls = np.zeros((n_batches, k), dtype=np.int64)
    rewards = np.zeros((n_batches, k), dtype=np.int64)
    for t in range(n_batches):
        arms = choose(successes, failures, batch_size, rng)  # (batch_size,)
        pulls[t] = np.bincount(arms, minlength=k)
        rewards[t] = rng.binomial(pulls[t], true_rates)
        successes += rewards[t]
        failures += pulls[t] - rewards[t]
    regret = np.cumsum(pulls @ (true_rates.max() - true_rates))
    return BanditRun(pulls, rewards, regret, int(np.argmax(true_rates)))


def thompson_sampling(true_rates, n_batches: int, batch_size: int, rng: np.random.Generator,
                      prior: tuple[float, float] = (1.0, 1.0)) -> BanditRun:
    """Beta-Bernoulli Thompson sampling, the posterior updated after every batch of users.

    Each user gets the arm whose draw from its ``Beta(prior_a + successes,
    prior_b + failures)`` posterior is highest: an arm is shown as often as it
    is probably the best. Updating per batch, not per user, is how a real
    platform runs it (results arrive in bulk).
    """
    a0, b0 = prior
    if a0 <= 0 or b0 <= 0:
        raise ValueError(f"the Beta prior's parameters must be > 0, got {prior}")

    def choose(s, f, n, rng):
        draws = rng.beta(a0 + s, b0 + f, size=(n, s.size))  # (n, k)
        return np.argmax(draws, axis=1)

    return _run_policy(true_rates, n_batches, batch_size, rng, choose)


def fixed_split(true_rates, n_batches: int, batch_size: int, rng: np.random.Generator) -> BanditRun:
    """The classic A/B test: every user assigned uniformly at random, whatever the results so far."""
    def choose(s, f, n, rng):
        return rng.integers(0, s.size, n)

    return _run_policy(true_rates, n_batches, batch_size, rng, choose)


def msprt_log_lr(diff_sum: np.ndarray, n: np.ndarray, sigma2: float, tau2: float) -> np.ndarray:
    """Log of the mixture likelihood ratio for a mean difference of 0, after ``n`` paired observations.

    ``diff_sum`` is the sum of ``n`` paired differences (treatment − control),
    each with variance ``sigma2`` (a scalar, or one per look); the alternative mixes effect sizes
    ``theta ~ N(0, tau2)``. Then (Johari et al. 2017)
    ``Lambda_n = sqrt(sigma2 / (sigma2 + n tau2)) * exp(n^2 tau2 dbar^2 / (2 sigma2 (sigma2 + n tau2)))``
    with ``dbar = diff_sum / n``. Rejecting the first time ``Lambda_n >= 1/alpha``
    keeps the false-positive rate at most ``alpha`` however often one looks.
    """
    sigma2 = np.asarray(sigma2, dtype=np.float64)
    if np.any(sigma2 <= 0) or tau2 <= 0:
        raise ValueError(f"sigma2 and tau2 must be > 0, got {sigma2}, {tau2}")
    n = np.asarray(n, dtype=np.float64)
    s = np.asarray(diff_sum, dtype=np.float64)
    v = sigma2 + n * tau2
    return 0.5 * np.log(sigma2 / v) + tau2 * s**2 / (2 * sigma2 * v)


def always_valid_p(log_lr_path: np.ndarray) -> np.ndarray:
    """The always-valid p-value after each look: ``min(1, 1 / max_{m<=n} Lambda_m)``, along the last axis."""
    return np.minimum(1.0, np.exp(-np.maximum.accumulate(log_lr_path, axis=-1)))


@dataclass
class PeekingResult:
    naive_rejected: np.ndarray  # (n_sims,) bool: some look had |z| > z_{1-a/2}
    naive_final_rejected: np.ndarray  # (n_sims,) bool: only the planned final look
    msprt_rejected: np.ndarray  # (n_sims,) bool: Lambda reached 1/alpha at some look
    msprt_stop_n: np.ndarray  # (n_sims,) users per arm at the mSPRT's stop (max if never)


def simulate_peeking(p_control: float, p_treat: float, n_per_arm: int, n_looks: int, n_sims: int,
                     rng: np.random.Generator, alpha: float = 0.05, tau2: float | None = None) -> PeekingResult:
    """``n_sims`` experiments, each looked at ``n_looks`` times at equal spacing.

    The naive analyst runs a two-sided z-test at every look and stops at the
    first |z| > z_{1-alpha/2}. The sequential analyst computes the mSPRT at the
    same looks, with ``sigma2`` the variance of one paired difference under the
    pooled rate seen so far and the mixing variance ``tau2`` (default: the
    square of a 10 % relative effect on ``p_control``).
    """
    _prob("p_control", p_control)
    _prob("p_treat", p_treat)
    if n_looks < 1 or n_per_arm < n_looks or n_sims < 1:
        raise ValueError("need 1 <= n_looks <= n_per_arm and n_sims >= 1")
    tau2 = (0.1 * p_control) ** 2 if tau2 is None else tau2
    looks = np.linspace(n_per_arm / n_looks, n_per_arm, n_looks).round().astype(np.int64)  # (L,)
    step = np.diff(np.r_[0, looks])  # (L,) users per arm added before each look
    conv_c = np.cumsum(rng.binomial(step, p_control, size=(n_sims, n_looks)), axis=1)  # (S, L)
    conv_t = np.cumsum(rng.binomial(step, p_treat, size=(n_sims, n_looks)), axis=1)  # (S, L)
    pooled = (conv_c + conv_t) / (2 * looks)  # (S, L)
    var = pooled * (1 - pooled)
    se = np.sqrt(2 * var / looks)
    diff = (conv_t - conv_c) / looks
    z = np.divide(diff, se, out=np.zeros_like(diff), where=se > 0)
    crit = stats.norm.ppf(1 - alpha / 2)
    sigma2 = np.maximum(2 * var, 1e-12)  # variance of one paired difference
    log_lr = msprt_log_lr(conv_t - conv_c, looks, sigma2, tau2)  # (S, L)
    hit = log_lr >= np.log(1 / alpha)
    first = np.where(hit.any(1), hit.argmax(1), n_looks - 1)
    return PeekingResult(
        naive_rejected=(np.abs(z) > crit).any(1),
        naive_final_rejected=np.abs(z[:, -1]) > crit,
        msprt_rejected=hit.any(1),
        msprt_stop_n=looks[first],
    )
