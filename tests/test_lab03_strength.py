"""Lab 3's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic bug; the lab's tests
must fail on every one of them, in the task that owns the bug.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "week03_evaluation"

DEAL = """\
    dealt = 0  # examples dealt so far: the next one goes to fold dealt % k
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if rng is not None:
            members = rng.permutation(members)
        fold_of[members] = (dealt + np.arange(len(members))) % k
        dealt += len(members)
"""
PLAIN_KFOLD = """\
    order = np.arange(n) if rng is None else rng.permutation(n)
    fold_of[order] = np.arange(n) * k // n
"""
SPLIT_EACH_CLASS = """\
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if rng is not None:
            members = rng.permutation(members)
        for f, part in enumerate(np.array_split(members, k)):
            fold_of[part] = f
"""

SPLIT_MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    "plain k-fold, labels ignored": (1, [(DEAL, PLAIN_KFOLD)]),
    "each class split on its own (extras pile up in the first folds)": (1, [(DEAL, SPLIT_EACH_CLASS)]),
    "rng ignored": (1, [("        if rng is not None:\n            members = rng.permutation(members)\n", "")]),
    "test fold left in training": (1, [("np.flatnonzero(fold_of != f)", "np.arange(len(fold_of))")]),
    "k = n + 1 accepted": (1, [("not 2 <= k <= n:", "not 2 <= k:")]),
    "error without the numbers": (1, [('f"k must be an integer with 2 <= k <= len(y) = {n}; got k = {k!r}"',
                                       '"k is out of range"')]),
}

RANKING_MUTANTS = {
    # Task 2: ROC-AUC
    "walked one example at a time (ties in sort order)": (2, [("np.split(y, starts)", "np.split(y, np.arange(1, len(y)))")]),
    "a tie counts as a win": (2, [("area += neg * (height + pos / 2)", "area += neg * (height + pos)")]),
    "a tie counts as a loss": (2, [("area += neg * (height + pos / 2)", "area += neg * height")]),
    "classes swapped": (2, [("pos = int(np.sum(group == 1))", "pos = int(np.sum(group == 0))")]),
    "lowest score first (AUC)": (2, [('desc = np.argsort(-s, kind="stable")', 'desc = np.argsort(s, kind="stable")')]),
    "divided by n squared": (2, [("area / (n_pos * n_neg)", "area / len(y) ** 2")]),
    "one class accepted": (2, [("if n_pos == 0 or n_neg == 0:\n        raise ValueError(f\"ROC-AUC",
                                "if False:\n        raise ValueError(f\"ROC-AUC")]),
    # Task 3: average precision
    "ties not grouped (precision at every positive)": (3, [("last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]",
                                                           "last = np.arange(len(s))")]),
    "trapezoids instead of steps": (3, [("np.sum(np.diff(np.r_[0.0, recall]) * precision)",
                                         "np.sum(np.diff(np.r_[0.0, recall]) * (precision + np.r_[1.0, precision[:-1]]) / 2)")]),
    "interpolated precision": (3, [("precision = tp / (last + 1)",
                                    "precision = np.maximum.accumulate((tp / (last + 1))[::-1])[::-1]")]),
    "recall over every example": (3, [("recall = tp / n_pos", "recall = tp / len(y)")]),
    "lowest score first": (3, [("order = np.argsort(-s, kind=\"stable\")", "order = np.argsort(s, kind=\"stable\")")]),
}

TFIDF_MUTANTS = {
    # Task 4: tokens and vocabulary
    "not lower-cased": (4, [("text.lower())", "text)")]),
    "one-letter tokens kept": (4, [('return re.findall(r"(?u)\\b\\w\\w+\\b"', 'return re.findall(r"(?u)\\b\\w+\\b"')]),
    "split on spaces": (4, [('return re.findall(r"(?u)\\b\\w\\w+\\b", text.lower())', "return text.lower().split()")]),
    "df counts every occurrence": (4, [("df.update(set(tokenize(doc)))", "df.update(tokenize(doc))")]),
    "columns in order of first appearance": (4, [("terms = sorted(t for t, count in df.items() if count >= self.min_df)",
                                                  "terms = [t for t, count in df.items() if count >= self.min_df]")]),
    "min_df ignored": (4, [("if count >= self.min_df)", "if count >= 1)")]),
    "min_df strict": (4, [("if count >= self.min_df)", "if count > self.min_df)")]),
    # Task 5: the weights
    "idf without the + 1": (5, [("self.idf_ = np.log(n / df.astype(np.float64)) + 1.0", "self.idf_ = np.log(n / df.astype(np.float64))")]),
    "always smoothed": (5, [("        if self.smooth_idf:\n            n, df = n + 1, df + 1\n", "        n, df = n + 1, df + 1\n")]),
    "idf in base 10": (5, [("self.idf_ = np.log(n / df.astype(np.float64)) + 1.0", "self.idf_ = np.log10(n / df.astype(np.float64)) + 1.0")]),
    "sublinear without the 1": (5, [("X[present] = 1.0 + np.log(X[present])", "X[present] = np.log(X[present])")]),
    "sublinear ignored": (5, [("        if self.sublinear_tf:\n            present", "        if False:\n            present")]),
    "tf divided by the document's length": (5, [("X[row, self.vocabulary_[term]] = count\n",
                                                 "X[row, self.vocabulary_[term]] = count / len(tokenize(doc))\n")]),
    "normalised by L1": (5, [("lengths = np.sqrt(np.sum(X ** 2, axis=1, keepdims=True))",
                              "lengths = np.sum(np.abs(X), axis=1, keepdims=True)")]),
    "never normalised": (5, [('        if self.norm == "l2":\n            lengths', '        if False:\n            lengths')]),
    "always normalised": (5, [('        if self.norm == "l2":\n            lengths', '        if True:\n            lengths')]),
    "empty rows divided by zero": (5, [("X /= np.where(lengths > 0, lengths, 1.0)", "X /= lengths")]),
}


def test_every_split_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "splits.py", "test_splits.py", SPLIT_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 3's tests pass these buggy stratified folds: {uncaught}"


def test_every_ranking_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "ranking.py", "test_ranking.py", RANKING_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 3's tests pass these buggy ranking metrics: {uncaught}"


def test_every_tfidf_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "tfidf.py", "test_tfidf.py", TFIDF_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 3's tests pass these buggy TF-IDF vectorizers: {uncaught}"
