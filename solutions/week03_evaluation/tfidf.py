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
    ### BEGIN SOLUTION (Task 4)
    ### HINT 1: Step 1 of the chapter's TF-IDF section: lower-case first, then keep every run of two
    ###         or more word characters, in any script. Splitting on spaces keeps punctuation
    ###         ("mat.") and one-letter words.
    ### HINT 2: One call of re.findall on the lower-cased text, with a pattern for "a word
    ###         boundary, two or more word characters, a word boundary" (\b and \w, Unicode-aware).
    ### HINT 3: scikit-learn's default token_pattern is r"(?u)\b\w\w+\b".
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
        (by ``sorted``, Python's string order), numbered from 0. ``df_``
        (V,) holds, in column order, how many documents contain each term.
        """
        ### BEGIN SOLUTION (Task 4)
        ### HINT 1: df counts documents, not occurrences: a document that says "the" five times adds
        ###         one to df["the"]. Keep the terms with df >= min_df, and number them in sorted order.
        ### HINT 2: A collections.Counter updated once per document with the *set* of its tokens gives
        ###         every df; sorted() over the kept terms gives the columns (Python's string order).
        ### HINT 3: vocabulary_ = {term: column for column, term in enumerate(sorted_terms)};
        ###         df_ = np.array([df[t] for t in sorted_terms], dtype=np.int64).
        df = Counter()
        for doc in docs:
            df.update(set(tokenize(doc)))
        terms = sorted(t for t, count in df.items() if count >= self.min_df)
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        self.df_ = np.array([df[t] for t in terms], dtype=np.int64)
        ### END SOLUTION
        return self

    def fit(self, docs: list[str]) -> TfidfVectorizer:
        """Build the vocabulary, then ``idf_`` (V,): ln(n / df) + 1 for n training documents."""
        self.build_vocabulary(docs)
        n, df = len(docs), self.df_  # the number of training documents, and each term's df (V,)
        ### BEGIN SOLUTION (Task 5)
        ### HINT 1: Step 3 of the chapter's TF-IDF section: idf = ln(n / df) + 1, natural log, and
        ###         smooth_idf changes n and df before the division.
        ### HINT 2: With smooth_idf, add 1 to n and to every df (as if one more document held every
        ###         term); then one vectorised NumPy expression for the whole (V,) array, in float64.
        ### HINT 3: if self.smooth_idf: n, df = n + 1, df + 1; then self.idf_ = np.log(n / df) + 1.
        if self.smooth_idf:
            n, df = n + 1, df + 1
        self.idf_ = np.log(n / df.astype(np.float64)) + 1.0
        ### END SOLUTION
        return self

    def transform(self, docs: list[str]) -> np.ndarray:
        """Task 5: the TF-IDF matrix (N, V) of ``docs``; terms outside the vocabulary are ignored."""
        X = np.zeros((len(docs), len(self.vocabulary_)))
        ### BEGIN SOLUTION (Task 5)
        ### HINT 1: Steps 2 to 4 of the chapter's TF-IDF section, in that order: raw counts of the
        ###         vocabulary's terms, then (sublinear_tf) 1 + ln(count) on the non-zero counts, then
        ###         times idf, then each row divided by its Euclidean length. Edge case: a document
        ###         with no known term has length 0.
        ### HINT 2: Count with collections.Counter(tokenize(doc)) row by row, skipping terms outside
        ###         vocabulary_. X *= self.idf_ broadcasts over the rows. For the norm, compute the
        ###         row lengths with keepdims=True, (N, 1), and divide only where the length is > 0.
        ### HINT 3: lengths = np.sqrt(np.sum(X ** 2, axis=1, keepdims=True));
        ###         X /= np.where(lengths > 0, lengths, 1.0) leaves a row of zeros as zeros.
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
