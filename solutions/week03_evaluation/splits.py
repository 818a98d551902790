"""Lab 3, task 1 — stratified k-fold indices.

Taught in Week 3 (book/week03_evaluation.md), which builds plain k-fold.
Write it with NumPy alone: the tests compare your folds with scikit-learn's
``StratifiedKFold``.
"""

from __future__ import annotations

import numpy as np


def stratified_kfold(y, k: int, rng: np.random.Generator | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split the examples into ``k`` folds that each keep every class's share of ``y``.

    Returns one ``(train_indices, test_indices)`` pair per fold: each
    example is in exactly one test fold, and a fold's training indices are
    all the others. Both arrays are sorted integer arrays.

    * every class is spread over the folds as evenly as possible: a class
      of ``n_c`` examples puts ``n_c // k`` or ``n_c // k + 1`` in each fold;
    * the fold sizes differ by at most one;
    * with ``rng``, the examples of each class are shuffled first (the same
      ``rng`` seed gives the same folds); without it, the result depends
      only on ``y``.

    ``y`` holds any labels (ints, strings). Raise ``ValueError`` unless
    ``k`` is an integer with 2 <= k <= len(y) (so 2.5 and True are refused
    too); say what k and len(y) were. The ``return`` line below builds the
    pairs from ``fold_of``, the test fold of each example, which you fill.
    """
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: Decide, for every example, which test fold it goes to: an array fold_of of len(y)
    ###         fold numbers (the return line below builds the (train, test) pairs from it).
    ###         Each class on its own must spread evenly over the k folds, and the folds must
    ###         stay within one example of each other in size. Check k first (an int, not a bool
    ###         or 2.5, with 2 <= k <= len(y)).
    ### HINT 2: Take the classes one at a time (np.unique(y)) and hand their examples out to the
    ###         folds like cards: 0, 1, ..., k-1, 0, 1, ... (shuffle a class's examples first
    ###         when rng is given). Let each class carry on from the fold where the previous one
    ###         stopped; restarting at fold 0 piles every class's leftovers into the first folds.
    ### HINT 3: With dealt = the number of examples handed out so far and members =
    ###         np.flatnonzero(y == c): fold_of[members] = (dealt + np.arange(len(members))) % k,
    ###         then dealt += len(members).
    y = np.asarray(y)
    n = len(y)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= n:
        raise ValueError(f"k must be an integer with 2 <= k <= len(y) = {n}; got k = {k!r}")
    fold_of = np.empty(n, dtype=np.int64)
    dealt = 0  # examples dealt so far: the next one goes to fold dealt % k
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if rng is not None:
            members = rng.permutation(members)
        fold_of[members] = (dealt + np.arange(len(members))) % k
        dealt += len(members)
    ### END SOLUTION
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]
