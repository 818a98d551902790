"""k-fold and stratified k-fold indices.

Taught in Week 3 (book/week03_evaluation.md), which shows :func:`kfold_indices`
and describes :func:`stratified_kfold_indices` (Lab 3 has the learner write
it). Both return, for each fold, the sorted training and test indices, as
scikit-learn's ``KFold`` and ``StratifiedKFold`` do.
"""

from __future__ import annotations

import numpy as np

Folds = list[tuple[np.ndarray, np.ndarray]]  # (train indices, test indices) per fold


def _check_k(k: int, n: int) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 2 <= k <= n:
        raise ValueError(f"k-fold needs an integer k with 2 <= k <= n = {n} examples; got k = {k!r}")


def _folds_from_assignment(fold_of: np.ndarray, k: int) -> Folds:
    """(train, test) index pairs from fold_of[i], the test fold of i."""
    everything = np.arange(len(fold_of))
    return [(everything[fold_of != f], everything[fold_of == f])
            for f in range(k)]


def kfold_indices(n: int, k: int, rng=None) -> Folds:
    """Split n examples into k folds whose sizes differ by at most one.

    Without a NumPy Generator ``rng`` the folds are consecutive blocks,
    the first n % k one example larger (exactly scikit-learn's KFold);
    with it, the examples are shuffled first.
    """
    _check_k(k, n)
    order = np.arange(n) if rng is None else rng.permutation(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    fold_of = np.empty(n, dtype=np.int64)
    fold_of[order] = np.repeat(np.arange(k), sizes)  # block f is fold f
    return _folds_from_assignment(fold_of, k)


def stratified_kfold_indices(y, k: int, rng: np.random.Generator | None = None) -> Folds:
    """Split so that every fold keeps each class's share of ``y``.

    Labels are dealt to the folds in turn, in class order (classes ordered
    by first appearance), which decides how many of each class each fold
    gets: every class is spread as evenly as it can be, and the fold sizes
    differ by at most one. Within a class, the examples go to the folds in
    order of their position (shuffled first when ``rng`` is given). Without
    ``rng`` this is exactly ``sklearn.model_selection.StratifiedKFold``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of labels, got shape {y.shape}")
    _check_k(k, len(y))
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    encoded = np.argsort(np.argsort(first))[inverse]  # classes numbered by first appearance
    n_classes = len(first)
    dealt = np.sort(encoded)
    allocation = np.stack([np.bincount(dealt[f::k], minlength=n_classes) for f in range(k)])  # (k, C)
    fold_of = np.empty(len(y), dtype=np.int64)
    for c in range(n_classes):
        folds_for_class = np.repeat(np.arange(k), allocation[:, c])
        if rng is not None:
            rng.shuffle(folds_for_class)
        fold_of[encoded == c] = folds_for_class
    return _folds_from_assignment(fold_of, k)
