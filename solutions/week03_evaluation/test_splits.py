"""Lab 3 tests, task 1: your stratified k-fold against scikit-learn's StratifiedKFold."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.model_selection import StratifiedKFold

from aimastery.labs.scratch import assert_written_from_scratch

from . import splits
from .splits import stratified_kfold

TASK1 = pytest.mark.task(1, "stratified k-fold")

IMBALANCED = np.array([0] * 40 + [1] * 7 + [2] * 3)  # 50 examples: a rare class and a very rare one


def sklearn_folds(y, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "the least populated class has only ... members"
        return list(StratifiedKFold(k).split(np.zeros(len(y)), y))


def check_partition(folds, n, k):
    assert isinstance(folds, list) and len(folds) == k, f"k = {k} folds, as a list of (train, test) pairs"
    seen = np.concatenate([np.asarray(test) for _, test in folds])
    assert sorted(seen.tolist()) == list(range(n)), "every example must be in exactly one test fold"
    for f, (train, test) in enumerate(folds):
        assert np.array_equal(train, np.sort(train)) and np.array_equal(test, np.sort(test)), \
            f"fold {f}: return sorted index arrays"
        assert np.array_equal(np.sort(np.r_[train, test]), np.arange(n)) and not np.intersect1d(train, test).size, \
            f"fold {f}: the training indices are all the examples outside its test fold"


def per_class_counts(folds, y):
    classes = np.unique(y)
    return np.array([[np.sum(y[test] == c) for c in classes] for _, test in folds])  # (k, C)


@TASK1
@pytest.mark.parametrize("k", [2, 3, 5, 7])
def test_every_class_is_spread_as_evenly_as_in_sklearn(k):
    y = IMBALANCED
    folds = stratified_kfold(y, k)
    check_partition(folds, len(y), k)
    ours = per_class_counts(folds, y)
    theirs = per_class_counts(sklearn_folds(y, k), y)
    for c in range(ours.shape[1]):
        assert sorted(ours[:, c]) == sorted(theirs[:, c]), (
            f"k = {k}: class {c} has {np.sum(y == c)} examples; your folds hold {sorted(ours[:, c].tolist())} of "
            f"them, StratifiedKFold's {sorted(theirs[:, c].tolist())} (per fold, smallest first)")
    assert_written_from_scratch(splits)


@TASK1
@pytest.mark.parametrize("k", [3, 4, 7])
def test_fold_sizes_differ_by_at_most_one(k):
    y = np.array([0] * 10 + [1] * 10 + [2] * 10 + [3] * 2)  # 32 examples: 4 classes
    sizes = [len(test) for _, test in stratified_kfold(y, k)]
    expected = sorted(len(test) for _, test in sklearn_folds(y, k))
    assert sorted(sizes) == expected, (f"k = {k}: your folds hold {sorted(sizes)} examples, StratifiedKFold's "
                                       f"{expected} (smallest first): "
                                       "when each class puts its extra examples in the first folds, those folds "
                                       "grow; keep dealing where the previous class stopped")


@TASK1
@given(st.lists(st.sampled_from(["cat", "dog", "eel"]), min_size=6, max_size=60), st.integers(2, 6))
def test_random_labels_keep_their_shares(labels, k):
    y = np.array(labels)
    if k > len(y):
        return
    folds = stratified_kfold(y, k)
    check_partition(folds, len(y), k)
    for c in np.unique(y):
        n_c = int(np.sum(y == c))
        counts = [int(np.sum(y[test] == c)) for _, test in folds]
        lo, hi = n_c // k, -(-n_c // k)
        assert set(counts) <= {lo, hi}, (f"{n_c} examples of {str(c)!r} over {k} folds should put "
                                         f"{lo if lo == hi else f'{lo} or {hi}'} in each fold, got {counts}")
    sizes = [len(test) for _, test in folds]
    assert max(sizes) - min(sizes) <= 1, f"fold sizes {sizes} differ by more than one"


@TASK1
def test_rng_shuffles_within_classes_reproducibly():
    y = np.tile([0, 1, 1, 2], 15)  # 60 examples
    plain = stratified_kfold(y, 5)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(plain, stratified_kfold(y, 5))), \
        "without rng the folds depend only on y"
    a = stratified_kfold(y, 5, np.random.default_rng(0))
    b = stratified_kfold(y, 5, np.random.default_rng(0))
    c = stratified_kfold(y, 5, np.random.default_rng(1))
    check_partition(a, len(y), 5)
    assert all(np.array_equal(x[1], z[1]) for x, z in zip(a, b)), "the same seed must give the same folds"
    assert any(not np.array_equal(x[1], z[1]) for x, z in zip(a, c)), "another seed should give other folds: use rng"
    assert any(not np.array_equal(x[1], z[1]) for x, z in zip(a, plain)), "rng given, but the folds did not change"


def says(message: str, number) -> bool:
    """``number`` appears in ``message`` as a number of its own ("0" is not in "50", nor "2.5" in "12.5")."""
    return re.search(rf"(?<![\w.]){re.escape(str(number))}(?![\w]|\.\d)", message) is not None


@TASK1
@pytest.mark.parametrize("k", [1, 0, 51, 2.5])
def test_bad_k_is_refused_clearly(k):
    with pytest.raises(ValueError) as info:
        stratified_kfold(IMBALANCED, k)
    message = str(info.value)
    assert says(message, k) and says(message, 50), \
        f"say what k was ({k}) and how many examples there are (50): {message!r}"
