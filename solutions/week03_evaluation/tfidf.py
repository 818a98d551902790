"""Lab 3, tasks 4 and 5 — TF-IDF from scratch, equal to scikit-learn's ``TfidfVectorizer``.

Taught in Week 3 (book/week03_evaluation.md). Write it with NumPy and the
standard library (``re``, ``collections.Counter``): the tests compare your
vocabulary and your matrix with ``sklearn.feature_extraction.text.TfidfVectorizer``
given the same options, to 1e-12, on the capstone's synthetic issues and on
real news articles.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np


def tokenize(text: str) -> list[str]:
    """The tokens of ``text``, lower-cased, in order: every run of two or more word characters."""
    ### BEGIN SOLUTION: lower-case, then re.findall with scikit-learn's token pattern r"(?u)\b\w\w+\b"
    return re.findall(r"(?u)\b\w\w+\b", text.lower())
    ### END SOLUTION


class TfidfVectorizer:
    """Documents (strings) to a dense TF-IDF matrix (N, V), as scikit-learn computes it.

    ``min_df``: keep the terms that occur in at least this many training
    documents. ``smooth_idf``: add one to the number of documents and to
    every document frequency. ``sublinear_tf``: use 1 + ln(tf) instead of
    the count tf. ``norm``: ``"l2"`` scales every row to unit length,
    ``None`` leaves it.
    """

    def __init__(self, *, min_df: int = 1, smooth_idf: bool = True, sublinear_tf: bool = False,
                 norm: str | None = "l2"):
        if isinstance(min_df, bool) or not isinstance(min_df, int) or min_df < 1:
            raise ValueError(f"min_df is a number of documents, an int >= 1; got {min_df!r}")
        if norm not in ("l2", None):
            raise ValueError(f"norm is 'l2' or None, got {norm!r}")
        self.min_df, self.smooth_idf, self.sublinear_tf, self.norm = min_df, smooth_idf, sublinear_tf, norm

    def build_vocabulary(self, docs: list[str]) -> TfidfVectorizer:
        """Task 4: set ``vocabulary_`` and ``df_`` from the training documents.

        ``vocabulary_`` maps each kept term to its column: the terms sorted
        (Python's string order), numbered from 0. ``df_`` (V,) holds, in
        column order, how many documents contain each term.
        """
        ### BEGIN SOLUTION: count each term once per document that contains it (a set of its tokens); keep terms with df >= min_df; sort them
        df = Counter()
        for doc in docs:
            df.update(set(tokenize(doc)))
        terms = sorted(t for t, count in df.items() if count >= self.min_df)
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        self.df_ = np.array([df[t] for t in terms], dtype=np.int64)
        ### END SOLUTION
        self.n_docs_ = len(docs)
        return self

    def fit(self, docs: list[str]) -> TfidfVectorizer:
        """Build the vocabulary, then ``idf_`` (V,): ln(n / df) + 1 for n training documents."""
        self.build_vocabulary(docs)
        n, df = self.n_docs_, self.df_
        ### BEGIN SOLUTION: Task 5: with smooth_idf, first add 1 to n and to every df; then idf = ln(n / df) + 1, as float64
        if self.smooth_idf:
            n, df = n + 1, df + 1
        self.idf_ = np.log(n / df.astype(np.float64)) + 1.0
        ### END SOLUTION
        return self

    def transform(self, docs: list[str]) -> np.ndarray:
        """Task 5: the TF-IDF matrix (N, V) of ``docs``; terms outside the vocabulary are ignored."""
        X = np.zeros((len(docs), len(self.vocabulary_)))
        ### BEGIN SOLUTION: fill X with the counts; sublinear_tf: 1 + ln(count) where count > 0; multiply every column by its idf; "l2": divide each row by its length (a row of zeros stays zeros)
        for row, doc in enumerate(docs):
            for term, count in Counter(tokenize(doc)).items():
                if term in self.vocabulary_:
                    X[row, self.vocabulary_[term]] = count
        if self.sublinear_tf:
            present = X > 0
            X[present] = 1.0 + np.log(X[present])
        X *= self.idf_
        if self.norm == "l2":
            lengths = np.sqrt(np.sum(X ** 2, axis=1, keepdims=True))  # (N, 1)
            X /= np.where(lengths > 0, lengths, 1.0)
        ### END SOLUTION
        return X
