"""TF-IDF features: fitted with scikit-learn, reproduced in NumPy for serving.

Taught in the capstone chapter (book/capstone_issue_classifier.md); Week 3
builds TF-IDF from scratch. Training fits scikit-learn's ``TfidfVectorizer``
(word 1- and 2-grams, sublinear term frequency, L2 norm) and keeps what it
learned, the vocabulary and the IDF weights, as JSON. The service turns one
text into the same sparse vector with a few lines of Python and NumPy, so it
needs neither scikit-learn nor a pickle; a test checks that both agree to
1e-12 on every issue.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: scikit-learn's default token pattern: runs of two or more word characters.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@dataclass
class TfidfFeatures:
    """A fitted TF-IDF transform: ``terms[i]`` is column ``i``, weighted by ``idf[i]``."""

    terms: list[str]
    idf: np.ndarray  # (V,) float64
    ngram_range: tuple[int, int] = (1, 2)
    sublinear_tf: bool = True
    _index: dict[str, int] = field(init=False, repr=False)
    _token_re: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.idf = np.asarray(self.idf, dtype=np.float64)
        if self.idf.shape != (len(self.terms),):
            raise ValueError(f"{len(self.terms)} terms but {self.idf.shape} IDF weights: they must match")
        if not np.all(np.isfinite(self.idf)) or np.any(self.idf < 1.0):
            raise ValueError("IDF weights are finite numbers >= 1 (smoothed IDF is 1 + log(...))")
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi:
            raise ValueError(f"ngram_range must be (lo, hi) with 1 <= lo <= hi, got {self.ngram_range}")
        self._index = {term: i for i, term in enumerate(self.terms)}
        if len(self._index) != len(self.terms):
            raise ValueError("the vocabulary lists a term twice")
        self._token_re = re.compile(TOKEN_PATTERN)

    @property
    def n_features(self) -> int:
        return len(self.terms)

    def analyze(self, text: str) -> list[str]:
        """The n-grams of ``text``, exactly as scikit-learn's word analyzer makes them."""
        tokens = self._token_re.findall(text.lower())
        lo, hi = self.ngram_range
        grams = list(tokens) if lo == 1 else []
        for n in range(max(lo, 2), hi + 1):
            grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        return grams

    def transform_one(self, text: str, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
        """One text as a sparse vector: sorted column indices (k,) int64 and values (k,) ``dtype``."""
        counts: dict[int, int] = {}
        index = self._index
        for gram in self.analyze(text):
            i = index.get(gram)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=dtype)
        cols = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))  # (k,)
        tf = np.array([counts[i] for i in cols], dtype=np.float64)  # (k,)
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)
        values = tf * self.idf[cols]
        values /= math.sqrt(float(values @ values))  # L2 norm
        return cols, values.astype(dtype, copy=False)

    def transform(self, texts: Sequence[str], dtype=np.float32):
        """Many texts as a SciPy CSR matrix (N, V), for training and checks."""
        from scipy.sparse import csr_matrix

        rows = [self.transform_one(t, dtype) for t in texts]
        indptr = np.cumsum([0] + [len(c) for c, _ in rows])
        cols = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, np.int64)
        vals = np.concatenate([v for _, v in rows]) if rows else np.zeros(0, dtype)
        return csr_matrix((vals, cols, indptr), shape=(len(texts), self.n_features))

    # ----- to and from JSON (the artefact), and from scikit-learn (training)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "tfidf", "terms": self.terms, "idf": [float(x) for x in self.idf],
                "ngram_range": list(self.ngram_range), "sublinear_tf": self.sublinear_tf,
                "lowercase": True, "token_pattern": TOKEN_PATTERN, "norm": "l2"}

    @classmethod
    def from_json(cls, data: Any) -> TfidfFeatures:
        """Validate before trusting: a clear ValueError names the first thing that is wrong."""
        if not isinstance(data, dict) or data.get("kind") != "tfidf":
            raise ValueError("not a TF-IDF vocabulary (expected an object with \"kind\": \"tfidf\")")
        expected = {"lowercase": True, "token_pattern": TOKEN_PATTERN, "norm": "l2"}
        for key, value in expected.items():
            if data.get(key) != value:
                raise ValueError(f"{key} is {data.get(key)!r}; this reader supports only {value!r}")
        terms, idf, ngram = data.get("terms"), data.get("idf"), data.get("ngram_range")
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise ValueError("'terms' must be a list of strings")
        if not isinstance(idf, list) or not all(isinstance(x, (int, float)) for x in idf):
            raise ValueError("'idf' must be a list of numbers")
        if not (isinstance(ngram, list) and len(ngram) == 2 and all(isinstance(n, int) for n in ngram)):
            raise ValueError("'ngram_range' must be a list of two integers")
        return cls(terms, np.array(idf, dtype=np.float64), (ngram[0], ngram[1]), bool(data.get("sublinear_tf")))

    @classmethod
    def from_sklearn(cls, vectorizer) -> TfidfFeatures:
        """What a fitted ``TfidfVectorizer`` learned, as a ``TfidfFeatures``."""
        params = vectorizer.get_params()
        supported = {"analyzer": "word", "lowercase": True, "token_pattern": TOKEN_PATTERN, "norm": "l2",
                     "use_idf": True, "smooth_idf": True, "strip_accents": None, "stop_words": None,
                     "preprocessor": None, "tokenizer": None, "binary": False}
        for key, value in supported.items():
            if params[key] != value:
                raise ValueError(f"TfidfVectorizer({key}={params[key]!r}) is not supported; use {value!r}")
        terms = [""] * len(vectorizer.vocabulary_)
        for term, i in vectorizer.vocabulary_.items():
            terms[i] = term
        return cls(terms, vectorizer.idf_.copy(), tuple(params["ngram_range"]), params["sublinear_tf"])


def fit_tfidf(texts: Sequence[str], *, max_features: int = 20_000, min_df: int = 2):
    """Fit scikit-learn's TfidfVectorizer (word 1-2-grams, sublinear tf); return (features, vectorizer)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df,
                                 max_features=max_features, dtype=np.float64)
    vectorizer.fit(texts)
    return TfidfFeatures.from_sklearn(vectorizer), vectorizer
