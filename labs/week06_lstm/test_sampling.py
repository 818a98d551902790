"""Lab 6 tests, part 2: the four sampling rules and their properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from .sampling import greedy, sample, softmax, temperature_probs, top_k_probs, top_p_probs

TASK3 = pytest.mark.task(3, "greedy and temperature")
TASK4 = pytest.mark.task(4, "top-k")
TASK5 = pytest.mark.task(5, "top-p (nucleus)")

def assert_probabilities(probs, what: str) -> None:
    """A probability vector: no NaN (0 / 0 when nothing is kept), none negative, summing to 1."""
    probs = np.asarray(probs)
    if np.isnan(probs).any():
        raise AssertionError(f"{what} returned NaN {probs.tolist()}: nothing was kept, so the renormalisation "
                             "divided 0 by 0; at least one token is always kept")
    assert np.all(probs >= 0), f"{what}: a negative probability in {probs.tolist()}"
    assert probs.sum() == pytest.approx(1.0, abs=1e-12), f"{what}: the probabilities sum to {probs.sum()}, not 1 (renormalise)"


# logits on a 0.01 grid: exact ties happen, unorderable near-ties do not
LOGITS = arrays(np.float64, st.integers(2, 30), elements=st.integers(-1000, 1000).map(lambda i: i / 100))


@TASK3
@given(LOGITS)
def test_greedy_is_the_argmax(logits):
    assert greedy(logits) == int(np.flatnonzero(logits == logits.max())[0]), "greedy takes the largest logit (the lowest id on a tie)"
    assert type(greedy(logits)) is int, f"return a Python int, got {type(greedy(logits)).__name__}: wrap it in int(...)"


@TASK3
@given(LOGITS, st.floats(0.05, 20))
def test_temperature_probabilities_sum_to_one(logits, t):
    probs = temperature_probs(logits, t)
    assert probs.shape == logits.shape and np.all(probs >= 0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)


@TASK3
@given(LOGITS)
def test_temperature_to_zero_is_greedy(logits):
    probs = temperature_probs(logits, 1e-9)
    top = np.flatnonzero(logits == logits.max())
    assert probs[top].sum() == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    assert sample(probs, rng) in set(top)


@TASK3
def test_temperature_one_is_softmax_and_large_is_uniform():
    z = np.array([2.0, 0.5, -1.0, 0.0])
    assert temperature_probs(z, 1.0) == pytest.approx(softmax(z))
    assert temperature_probs(z, 1e9) == pytest.approx(np.full(4, 0.25))


@TASK3
@pytest.mark.parametrize("t", [0.0, -0.5, float("nan")])
def test_temperature_must_be_positive(t):
    with pytest.raises(ValueError, match="> 0"):
        temperature_probs(np.zeros(3), t)


@TASK4
@given(LOGITS, st.integers(1, 40))
def test_top_k_keeps_exactly_k(logits, k):
    probs = top_k_probs(logits, k)
    assert_probabilities(probs, f"top_k_probs(k = {k})")
    kept = np.flatnonzero(probs > 0)
    if k > len(logits):
        why = " (every token when k exceeds the vocabulary)"
    elif len(kept) > k:
        why = " (tokens tied with the k-th are dropped but the lowest ids: keep exactly k)"
    else:
        why = ""
    assert len(kept) == min(k, len(logits)), (f"k = {k} over {len(logits)} tokens kept {len(kept)}; expected "
                                              f"{min(k, len(logits))}{why}")
    dropped = np.setdiff1d(np.arange(len(logits)), kept)
    if len(dropped):
        assert logits[dropped].max() <= logits[kept].min(), "a dropped token is more likely than a kept one"
    full = softmax(logits)
    assert probs[kept] == pytest.approx(full[kept] / full[kept].sum())


@TASK4
def test_top_k_with_ties_keeps_exactly_k_lowest_ids_first():
    kept = np.flatnonzero(top_k_probs(np.zeros(8), 3) > 0).tolist()
    assert kept == [0, 1, 2], (f"8 equally likely tokens, k = 3: kept ids {kept}; a tie goes to the lower id, "
                               "so keep [0, 1, 2] (a stable sort, descending)")


@TASK4
@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_k_must_be_at_least_one(k):
    try:
        with pytest.raises(ValueError, match=">= 1"):
            top_k_probs(np.zeros(3), k)
    except (IndexError, TypeError) as err:
        raise AssertionError(f"top_k_probs(..., k={k!r}) raised {type(err).__name__}: {err}; check k first and raise "
                             "a ValueError saying k must be an integer >= 1") from None


@TASK5
@given(LOGITS, st.floats(0.01, 1.0))
def test_top_p_keeps_the_smallest_set_reaching_p(logits, p):
    full = softmax(logits)
    probs = top_p_probs(logits, p)
    assert_probabilities(probs, f"top_p_probs(p = {p})")
    kept = np.flatnonzero(probs > 0)
    assert full[kept].sum() >= p - 1e-9, "the kept set must reach p"
    assert full[kept].sum() - full[kept].min() < p + 1e-9, "a smaller set would already reach p"
    dropped = np.setdiff1d(np.arange(len(logits)), kept)
    if len(dropped):
        assert full[dropped].max() <= full[kept].min()


@TASK5
def test_top_p_extremes():
    z = np.array([0.1, 2.0, -1.0, 1.0])
    assert np.all(top_p_probs(z, 1.0) > 0), "p = 1 keeps every token"
    tiny = top_p_probs(np.array([0.0, -50.0]), 1.0)  # the second token: probability 2e-22, its mass before rounds to 1
    assert tiny[1] > 0, f"p = 1 keeps every token, even one of probability 2e-22; got {tiny.tolist()}"
    assert np.flatnonzero(top_p_probs(z, 1e-6)).tolist() == [1], "a tiny p keeps only the most likely"


@TASK5
@pytest.mark.parametrize("n, p, keep", [(2, 0.5, 1), (4, 0.5, 2), (4, 0.75, 3)])
def test_top_p_stops_as_soon_as_the_mass_reaches_p(n, p, keep):
    probs = top_p_probs(np.zeros(n), p)  # n equally likely tokens, 1/n each
    assert_probabilities(probs, f"top_p_probs(p = {p})")
    kept = np.count_nonzero(probs)
    assert kept == keep, (f"{n} equally likely tokens, p = {p}: the first {keep} already hold exactly p, so "
                          f"keep {keep}, not {kept} (a token is kept while the mass before it is still < p)")


@TASK5
@pytest.mark.parametrize("p", [0.0, -0.2, 1.01, float("nan")])
def test_p_must_lie_in_zero_one(p):
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        top_p_probs(np.zeros(3), p)
