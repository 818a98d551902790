"""The drift tests written from scratch, checked against scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from scipy.special import rel_entr
from hypothesis import given, settings
from hypothesis import strategies as st_h
from hypothesis.extra.numpy import arrays

from aimastery.mlops.drift import (
    binned_shares, chi2_test, kolmogorov_sf, ks_2samp, mean_embedding_distance, mmd2_rbf, permutation_test, psi,
    quantile_edges,
)

samples = arrays(np.float64, st_h.integers(2, 60), elements=st_h.floats(-1e3, 1e3, allow_nan=False))


@settings(max_examples=80)
@given(samples, samples)
def test_ks_statistic_equals_scipy_and_p_is_the_kolmogorov_tail(a, b):
    ours = ks_2samp(a, b)
    theirs = st.ks_2samp(a, b, method="asymp")
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    en = len(a) * len(b) / (len(a) + len(b))
    assert ours.p_value == pytest.approx(st.kstwobign.sf(np.sqrt(en) * ours.statistic), abs=1e-10)


def test_ks_p_value_is_close_to_scipys_finite_sample_one_for_large_samples():
    """scipy uses the distribution of D for sqrt(n m / (n + m)) observations; the limit is within a few hundredths."""
    rng = np.random.default_rng(0)
    for shift in (0.0, 0.1, 0.3):
        a, b = rng.normal(size=400), rng.normal(shift, 1, size=300)
        assert ks_2samp(a, b).p_value == pytest.approx(st.ks_2samp(a, b, method="asymp").pvalue, abs=0.03)


def test_kolmogorov_sf_matches_scipy_over_its_range():
    for x in np.linspace(0.05, 3, 40):
        assert kolmogorov_sf(x) == pytest.approx(st.kstwobign.sf(x), abs=1e-12)
    assert kolmogorov_sf(0.0) == 1.0


@settings(max_examples=80)
@given(st_h.lists(st_h.integers(0, 60), min_size=2, max_size=6).flatmap(
    lambda a: st_h.tuples(st_h.just(a), st_h.lists(st_h.integers(0, 60), min_size=len(a), max_size=len(a)))))
def test_chi2_equals_scipys_contingency_test(counts):
    a, b = map(np.array, counts)
    keep = (a + b) > 0
    ours = chi2_test(a, b)
    if keep.sum() < 2 or a.sum() == 0 or b.sum() == 0:
        assert ours.p_value == 1.0
        return
    stat, p, dof, _ = st.chi2_contingency(np.array([a[keep], b[keep]]), correction=False)
    assert ours.statistic == pytest.approx(stat, rel=1e-10, abs=1e-10)
    assert ours.p_value == pytest.approx(p, rel=1e-9, abs=1e-12)


@settings(max_examples=80)
@given(arrays(np.float64, st_h.integers(20, 200), elements=st_h.floats(0, 1e4, allow_nan=False)),
       arrays(np.float64, st_h.integers(1, 200), elements=st_h.floats(0, 1e4, allow_nan=False)))
def test_psi_is_the_symmetrised_kl_divergence_of_the_binned_shares(ref, cur):
    edges = quantile_edges(ref, 10)
    # the bins (-inf, e0], (e0, e1], ..., (e_last, inf), counted one value at a time
    by_hand = np.array([np.sum((cur > lo) & (cur <= hi)) for lo, hi in
                        zip(np.r_[-np.inf, edges], np.r_[edges, np.inf])]) / len(cur)
    assert binned_shares(cur, edges) == pytest.approx(by_hand)
    e = np.clip(binned_shares(ref, edges), 1e-4, None)
    a = np.clip(by_hand, 1e-4, None)
    # sum (a - e) ln(a / e) = sum rel_entr(a, e) + rel_entr(e, a): Jeffreys' divergence, KL both ways
    assert psi(ref, cur) == pytest.approx(float(np.sum(rel_entr(a, e) + rel_entr(e, a))), rel=1e-9, abs=1e-12)
    if np.all(by_hand > 0) and np.all(binned_shares(ref, edges) > 0):  # no empty bin, no clipping: the textbook form with scipy.stats.entropy
        assert psi(ref, cur) == pytest.approx(st.entropy(a, e) + st.entropy(e, a), rel=1e-9, abs=1e-12)
    assert psi(ref, ref) == pytest.approx(0.0, abs=1e-12)


def test_psi_bins_come_from_the_reference_quantiles():
    ref = np.arange(1000.0)
    edges = quantile_edges(ref, 4)
    assert edges == pytest.approx(np.quantile(ref, [0.25, 0.5, 0.75]))
    assert binned_shares(ref, edges) == pytest.approx([0.25, 0.25, 0.25, 0.25], abs=1e-3)
    shifted = ref + 250  # a shift by a quarter of the range: shares about 0, 1/4, 1/4, 1/2
    a = binned_shares(shifted, edges)
    assert a == pytest.approx([0.0, 0.25, 0.25, 0.5], abs=2e-3)
    assert psi(ref, shifted, bins=4) == pytest.approx(
        float(np.sum((np.clip(a, 1e-4, None) - 0.25) * np.log(np.clip(a, 1e-4, None) / 0.25))), rel=1e-3)


def test_mmd_equals_the_direct_double_sum():
    rng = np.random.default_rng(0)
    A, B, h = rng.normal(size=(7, 3)), rng.normal(0.5, 1, size=(5, 3)), 1.3

    def k(x, y):
        return np.exp(-np.sum((x - y) ** 2) / (2 * h * h))

    kaa = np.mean([k(A[i], A[j]) for i in range(7) for j in range(7) if i != j])
    kbb = np.mean([k(B[i], B[j]) for i in range(5) for j in range(5) if i != j])
    kab = np.mean([k(a, b) for a in A for b in B])
    assert mmd2_rbf(A, B, bandwidth=h) == pytest.approx(kaa + kbb - 2 * kab, rel=1e-10)
    assert mean_embedding_distance(A, B) == pytest.approx(np.linalg.norm(A.mean(0) - B.mean(0)))


@pytest.mark.parametrize("statistic", ["mean_distance", "mmd"])
def test_permutation_p_values_hold_their_level_and_find_a_shift(statistic):
    rng = np.random.default_rng(1)
    null = [permutation_test(rng.normal(size=(40, 8)), rng.normal(size=(20, 8)), statistic, n_permutations=99,
                             rng=rng).p_value for _ in range(60)]
    assert 0.01 <= np.mean(np.array(null) <= 0.2) <= 0.4  # about 20% of p-values under 0.2 when nothing moved
    shifted = permutation_test(rng.normal(size=(40, 8)), rng.normal(0.8, 1, size=(20, 8)), statistic,
                               n_permutations=99, rng=rng)
    assert shifted.p_value == pytest.approx(0.01)  # nothing in 99 relabellings is as extreme


def test_permutation_agrees_with_scipys_permutation_test():
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(30, 4)), rng.normal(0.25, 1, size=(20, 4))
    ours = permutation_test(A, B, n_permutations=2000, rng=np.random.default_rng(3)).p_value
    theirs = st.permutation_test((A, B), lambda x, y, axis: np.linalg.norm(x.mean(axis) - y.mean(axis), axis=-1),
                                 permutation_type="independent", vectorized=True, n_resamples=2000,
                                 alternative="greater", rng=np.random.default_rng(4), axis=0).pvalue
    assert ours == pytest.approx(theirs, abs=0.03)


@pytest.mark.parametrize("call, message", [
    (lambda: psi([], [1.0]), "empty"),
    (lambda: psi([1.0, np.nan], [1.0]), "NaN or infinite"),
    (lambda: psi([1.0, 2.0], [1.0], bins=1), "at least 2 bins"),
    (lambda: chi2_test([1, 2], [1, 2, 3]), "equally long"),
    (lambda: chi2_test([1, -2], [1, 2]), "non-negative"),
    (lambda: permutation_test(np.ones((3, 2)), np.ones((3, 4))), "one size"),
    (lambda: permutation_test(np.ones((3, 2)), np.ones((3, 2)), "median"), "'mean_distance' or 'mmd'"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
