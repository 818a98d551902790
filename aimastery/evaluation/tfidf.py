"""A TF-IDF vectorizer from scratch, equal to scikit-learn's ``TfidfVectorizer``.

Taught in Week 3 (book/week03_evaluation.md); Lab 3 has the learner write a
dense version. With the same options, :class:`TfidfVectorizer` learns the
same vocabulary (the same terms in the same columns) and the same weights,
to rounding (tests/evaluation/test_tfidf.py checks 1e-12 on the capstone's
synthetic issues and on gensim's shipped texts).

The steps, for each document:

1. **analyse**: lower-case it, find its tokens with a regular expression
   (by default runs of two or more word characters), and form n-grams
   (``ngram_range=(1, 2)``: single tokens, then adjacent pairs joined by a
   space);
2. **count**: term frequency tf = how often each term of the vocabulary
   occurs; with ``sublinear_tf``, 1 + log(tf) instead;
3. **weigh**: multiply by idf = log(n / df) + 1, where df is how many of the
   n training documents contain the term; ``smooth_idf`` adds one to n and
   to df, as if one extra document contained every term once;
4. **normalise** each row to unit length (``norm="l2"``), unit sum of
   absolute values (``"l1"``) or not at all (``None``).

The vocabulary is every term of the training documents whose df lies in
[min_df, max_df] (an int counts documents, a float is a share of them),
sorted as Python sorts strings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.sparse import csr_matrix

#: scikit-learn's default token pattern: runs of two or more word characters.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
NORMS = ("l2", "l1", None)


def word_ngrams(tokens: Sequence[str], ngram_range: tuple[int, int]) -> list[str]:
    """The n-grams of ``tokens`` for n in ``ngram_range``, shortest first, in text order."""
    lo, hi = ngram_range
    grams: list[str] = []
    for n in range(lo, hi + 1):
        grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return grams


class TfidfVectorizer:
    """Documents (strings) to a sparse TF-IDF matrix (N, V), float64.

    Options and attributes have scikit-learn's names: ``vocabulary_`` maps
    each term to its column, ``idf_`` holds the column weights (V,).
    """

    def __init__(self, *, lowercase: bool = True, token_pattern: str = TOKEN_PATTERN,
                 ngram_range: tuple[int, int] = (1, 1), min_df: int | float = 1,
                 max_df: int | float = 1.0, use_idf: bool = True, smooth_idf: bool = True,
                 sublinear_tf: bool = False, norm: str | None = "l2"):
        lo, hi = ngram_range
        if not 1 <= lo <= hi:
            raise ValueError(f"ngram_range must be (lo, hi) with 1 <= lo <= hi, got {ngram_range}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        for name, value in (("min_df", min_df), ("max_df", max_df)):
            is_count = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            is_share = isinstance(value, float) and 0.0 <= value <= 1.0
            if not (is_count or is_share):
                raise ValueError(f"{name} is a count of documents (int >= 0) or a share of them "
                                 f"(float in [0, 1]), got {value!r}")
        self.lowercase, self.token_pattern, self.ngram_range = lowercase, token_pattern, (lo, hi)
        self.min_df, self.max_df = min_df, max_df
        self.use_idf, self.smooth_idf, self.sublinear_tf, self.norm = use_idf, smooth_idf, sublinear_tf, norm
        self._token_re = re.compile(token_pattern)

    # ----- 1. analyse

    def analyze(self, doc: str) -> list[str]:
        """The terms of one document, in order (repeats kept)."""
        if not isinstance(doc, str):
            raise TypeError(f"documents are strings, got {type(doc).__name__}")
        text = doc.lower() if self.lowercase else doc
        return word_ngrams(self._token_re.findall(text), self.ngram_range)

    # ----- fit: the vocabulary and idf

    def fit(self, docs: Iterable[str]) -> TfidfVectorizer:
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs: Iterable[str]) -> csr_matrix:
        counts = [Counter(self.analyze(d)) for d in _as_list(docs)]
        n = len(counts)
        df = Counter(term for c in counts for term in c)  # documents containing each term
        low = self.min_df if isinstance(self.min_df, int) else self.min_df * n
        high = self.max_df if isinstance(self.max_df, int) else self.max_df * n
        terms = sorted(t for t, k in df.items() if low <= k <= high)
        if not terms:
            raise ValueError("no terms are left: the documents hold no tokens, or min_df / max_df "
                             f"remove them all (min_df={self.min_df}, max_df={self.max_df})")
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        df_kept = np.array([df[t] for t in terms], dtype=np.float64)  # (V,)
        n_docs = float(n)
        if self.smooth_idf:
            df_kept += 1.0
            n_docs += 1.0
        self.idf_ = np.log(n_docs / df_kept) + 1.0  # (V,)
        return self._weigh(counts)

    # ----- transform: count, weigh, normalise

    def transform(self, docs: Iterable[str]) -> csr_matrix:
        if not hasattr(self, "vocabulary_"):
            raise RuntimeError("call fit (or fit_transform) on training documents before transform")
        return self._weigh([Counter(self.analyze(d)) for d in _as_list(docs)])

    def get_feature_names_out(self) -> np.ndarray:
        terms = [""] * len(self.vocabulary_)
        for t, i in self.vocabulary_.items():
            terms[i] = t
        return np.array(terms, dtype=object)

    def _weigh(self, counts: list[Counter]) -> csr_matrix:
        vocab = self.vocabulary_
        indptr, indices, values = [0], [], []
        for c in counts:
            row = sorted((vocab[t], k) for t, k in c.items() if t in vocab)
            indices += [i for i, _ in row]
            values += [k for _, k in row]
            indptr.append(len(indices))
        cols = np.array(indices, dtype=np.int64)
        tf = np.array(values, dtype=np.float64)  # (nnz,) raw counts
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)
        if self.use_idf:
            tf = tf * self.idf_[cols]
        X = csr_matrix((tf, cols, np.array(indptr)), shape=(len(counts), len(vocab)))
        return _normalise_rows(X, self.norm)


def _as_list(docs: Iterable[str]) -> list[str]:
    if isinstance(docs, str):
        raise TypeError("pass a list of documents, not one string (it would be read letter by letter)")
    return list(docs)


def _normalise_rows(X: csr_matrix, norm: str | None) -> csr_matrix:
    """Scale each row to unit L2 length or unit L1 sum, in place (an empty row stays empty)."""
    if norm is None:
        return X
    lengths = np.diff(X.indptr)  # (N,) entries per row
    row_of = np.repeat(np.arange(X.shape[0]), lengths)  # (nnz,)
    per_entry = X.data ** 2 if norm == "l2" else np.abs(X.data)
    sums = np.bincount(row_of, weights=per_entry, minlength=X.shape[0])  # (N,)
    scale = np.sqrt(sums) if norm == "l2" else sums
    scale[scale == 0] = 1.0
    X.data /= scale[row_of]
    return X
