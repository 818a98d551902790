"""Sampling from logits: greedy, temperature, top-k, top-p, with a seeded generator."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aimastery.sampling import (
    entropy,
    greedy,
    next_token_probs,
    sample,
    softmax,
    temperature_probs,
    top_k_probs,
    top_p_probs,
)

# logits on a 0.01 grid: exact ties happen, near-ties below float precision
# (which no test can order) do not
LOGITS = arrays(np.float64, st.integers(2, 40),
                elements=st.integers(-2000, 2000).map(lambda i: i / 100))


@given(LOGITS, st.floats(0.05, 10))
def test_probabilities_sum_to_one(logits, temperature):
    for probs in (temperature_probs(logits, temperature),
                  top_k_probs(logits, 3, temperature),
                  top_p_probs(logits, 0.7, temperature),
                  next_token_probs(logits, temperature, 5, 0.9)):
        assert probs.shape == logits.shape and np.all(probs >= 0)
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)


@given(LOGITS)
def test_temperature_to_zero_is_greedy(logits):
    probs = temperature_probs(logits, 1e-9)
    top = np.flatnonzero(logits == logits.max())
    assert probs[top].sum() == pytest.approx(1.0)
    assert greedy(logits) == top[0]
    rng = np.random.default_rng(0)
    assert {sample(logits, rng, temperature=1e-9) for _ in range(5)} <= set(top)


def test_temperature_one_is_softmax_and_high_temperature_is_uniform():
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    assert temperature_probs(logits, 1.0) == pytest.approx(softmax(logits))
    assert temperature_probs(logits, 1e9) == pytest.approx(np.full(4, 0.25))
    assert entropy(temperature_probs(logits, 0.5)) < entropy(softmax(logits))


@given(LOGITS, st.integers(1, 50))
def test_top_k_keeps_exactly_k_tokens(logits, k):
    probs = top_k_probs(logits, k)
    kept = np.flatnonzero(probs > 0)
    assert len(kept) == min(k, len(logits))
    dropped = np.setdiff1d(np.arange(len(logits)), kept)
    if len(dropped):  # nothing dropped is more likely than anything kept
        assert logits[dropped].max() <= logits[kept].min()
    full = softmax(logits)
    assert probs[kept] == pytest.approx(full[kept] / full[kept].sum())


def test_top_k_with_ties_still_keeps_exactly_k():
    assert np.count_nonzero(top_k_probs(np.zeros(10), 3)) == 3


@given(LOGITS, st.floats(0.01, 1.0))
def test_top_p_keeps_the_smallest_set_reaching_p(logits, p):
    full = softmax(logits)
    probs = top_p_probs(logits, p)
    kept = np.flatnonzero(probs > 0)
    mass = full[kept].sum()
    assert mass >= p - 1e-9  # the set reaches p ...
    assert mass - full[kept].min() < p + 1e-9  # ... and no smaller one does
    dropped = np.setdiff1d(np.arange(len(logits)), kept)
    if len(dropped):
        assert full[dropped].max() <= full[kept].min()


def test_top_p_of_one_keeps_everything_and_tiny_p_is_greedy():
    logits = np.array([0.5, 2.0, -1.0, 1.0])
    assert np.all(top_p_probs(logits, 1.0) > 0)
    assert np.flatnonzero(top_p_probs(logits, 1e-6)).tolist() == [1]


def test_filters_work_on_batches():
    logits = np.random.default_rng(0).normal(size=(3, 5, 11))
    assert np.all(np.count_nonzero(top_k_probs(logits, 4), axis=-1) == 4)
    assert top_p_probs(logits, 0.5).sum(axis=-1) == pytest.approx(
        np.ones((3, 5)))
    assert greedy(logits).shape == (3, 5)
    assert sample(logits, np.random.default_rng(0)).shape == (3, 5)


def test_seeded_sampling_is_reproducible_and_follows_the_probabilities():
    logits = np.log(np.array([0.5, 0.3, 0.2]))
    draws = [sample(logits, np.random.default_rng(7)) for _ in range(3)]
    assert len(set(draws)) == 1
    rng = np.random.default_rng(0)
    many = sample(np.tile(logits, (20_000, 1)), rng)
    freq = np.bincount(many, minlength=3) / many.size
    assert freq == pytest.approx([0.5, 0.3, 0.2], abs=0.015)


def test_sampling_never_draws_a_filtered_token():
    logits = np.random.default_rng(1).normal(size=(5_000, 30))
    ids = sample(logits, np.random.default_rng(2), top_k=3)
    top3 = np.argsort(-logits, axis=-1)[:, :3]
    assert np.all((top3 == ids[:, None]).any(axis=-1))


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan")])
def test_temperature_must_be_positive(temperature):
    with pytest.raises(ValueError, match="temperature must be > 0"):
        temperature_probs(np.zeros(3), temperature)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        sample(np.zeros(3), np.random.default_rng(0), temperature=temperature)


@pytest.mark.parametrize("k", [0, -2, 2.5, True])
def test_k_must_be_a_positive_integer(k):
    with pytest.raises(ValueError, match="integer k >= 1"):
        top_k_probs(np.zeros(3), k)


@pytest.mark.parametrize("p", [0.0, -0.1, 1.5, float("nan")])
def test_p_must_lie_in_zero_one(p):
    with pytest.raises(ValueError, match=r"p in \(0, 1\]"):
        top_p_probs(np.zeros(3), p)


def test_sample_needs_a_generator():
    with pytest.raises(TypeError, match="default_rng"):
        sample(np.zeros(3), 42)


def test_entropy():
    assert entropy([1.0, 0.0]) == 0.0
    assert entropy(np.full(4, 0.25)) == pytest.approx(np.log(4))
