"""k-fold and stratified k-fold indices against scikit-learn's KFold and StratifiedKFold."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.model_selection import KFold, StratifiedKFold

from aimastery.evaluation.splits import kfold_indices, stratified_kfold_indices


def assert_partition(folds, n):
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(n)), "every example is in exactly one test fold"
    for train, test in folds:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
        assert not np.intersect1d(train, test).size


@given(st.integers(2, 50), st.integers(2, 10))
def test_kfold_is_sklearns_kfold(n, k):
    if k > n:
        return
    ours = kfold_indices(n, k)
    theirs = list(KFold(k).split(np.zeros(n)))
    for (a_train, a_test), (b_train, b_test) in zip(ours, theirs, strict=True):
        assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)


def test_shuffled_kfold_is_a_seeded_partition():
    a = kfold_indices(23, 4, np.random.default_rng(1))
    assert_partition(a, 23)
    assert [len(t) for _, t in a] == [6, 6, 6, 5]
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, kfold_indices(23, 4, np.random.default_rng(1))))
    assert not np.array_equal(a[0][1], kfold_indices(23, 4)[0][1])


@st.composite
def labels_and_k(draw):
    k = draw(st.integers(2, 6))
    n_classes = draw(st.integers(1, 4))
    y = draw(st.lists(st.sampled_from("abcd"[:n_classes]), min_size=k * 2, max_size=60))
    y = np.array(y)
    if np.bincount(np.unique(y, return_inverse=True)[1]).max() < k:
        y = np.r_[y, [y[0]] * k]  # scikit-learn needs one class with k members
    return y, k


@given(labels_and_k())
def test_stratified_is_sklearns_stratified_kfold(case):
    y, k = case
    ours = stratified_kfold_indices(y, k)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "the least populated class has only ..."
        theirs = list(StratifiedKFold(k).split(np.zeros(len(y)), y))
    for (a_train, a_test), (b_train, b_test) in zip(ours, theirs, strict=True):
        assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)


@given(labels_and_k(), st.integers(0, 2**32 - 1))
def test_shuffled_stratified_keeps_the_shares(case, seed):
    y, k = case
    folds = stratified_kfold_indices(y, k, np.random.default_rng(seed))
    assert_partition(folds, len(y))
    sizes = [len(test) for _, test in folds]
    assert max(sizes) - min(sizes) <= 1
    for c in np.unique(y):
        per_fold = [np.sum(y[test] == c) for _, test in folds]
        n_c = np.sum(y == c)
        assert set(per_fold) <= {n_c // k, -(-n_c // k)}, f"class {c} is not spread evenly: {per_fold}"


@pytest.mark.parametrize("k", [1, 0, 11, 2.5, True])
def test_bad_k_is_named(k):
    with pytest.raises(ValueError, match="2 <= k <= n = 10"):
        kfold_indices(10, k)
    with pytest.raises(ValueError, match="2 <= k <= n = 10"):
        stratified_kfold_indices(np.arange(10) % 2, k)
