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
    # TODO: Step 1 of the chapter's TF-IDF section: lower-case first, then keep every run of two
    #       or more word characters, in any script. Splitting on spaces keeps punctuation
    #       ("mat.") and one-letter words.
    # Stuck? One more hint at a time: make lab-check WEEK=03 HINT=2 (in the notebook: check(4, hint=2))
    raise NotImplementedError('Lab 3 · tokenize in tfidf.py: not implemented yet (the TODO just above says what to write)')


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
        (by ``sorted``, Python's string order), numbered from 0. ``df_``
        (V,) holds, in column order, how many documents contain each term.
        """
        # TODO: df counts documents, not occurrences: a document that says "the" five times adds
        #       one to df["the"]. Keep the terms with df >= min_df, and number them in sorted order.
        # Stuck? One more hint at a time: make lab-check WEEK=03 HINT=2 (in the notebook: check(4, hint=2))
        raise NotImplementedError('Lab 3 · TfidfVectorizer.build_vocabulary in tfidf.py: not implemented yet (the TODO just above says what to write)')
        return self

    def fit(self, docs: list[str]) -> TfidfVectorizer:
        """Build the vocabulary, then ``idf_`` (V,): ln(n / df) + 1 for n training documents."""
        self.build_vocabulary(docs)
        n, df = len(docs), self.df_  # the number of training documents, and each term's df (V,)
        # TODO: Step 3 of the chapter's TF-IDF section: idf = ln(n / df) + 1, natural log, and
        #       smooth_idf changes n and df before the division.
        # Stuck? One more hint at a time: make lab-check WEEK=03 HINT=2 (in the notebook: check(5, hint=2))
        raise NotImplementedError('Lab 3 · TfidfVectorizer.fit in tfidf.py: not implemented yet (the TODO just above says what to write)')
        return self

    def transform(self, docs: list[str]) -> np.ndarray:
        """Task 5: the TF-IDF matrix (N, V) of ``docs``; terms outside the vocabulary are ignored."""
        X = np.zeros((len(docs), len(self.vocabulary_)))
        # TODO: Steps 2 to 4 of the chapter's TF-IDF section, in that order: raw counts of the
        #       vocabulary's terms, then (sublinear_tf) 1 + ln(count) on the non-zero counts, then
        #       times idf, then each row divided by its Euclidean length. Edge case: a document
        #       with no known term has length 0.
        # Stuck? One more hint at a time: make lab-check WEEK=03 HINT=2 (in the notebook: check(5, hint=2))
        # Keep the code below the raise: it uses the X you set here.
        raise NotImplementedError('Lab 3 · TfidfVectorizer.transform in tfidf.py: not implemented yet (the TODO just above says what to write)')
        return X
