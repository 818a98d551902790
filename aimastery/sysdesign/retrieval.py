"""Hybrid retrieval: BM25, dense search and reciprocal-rank fusion.

Taught in ``book/sysdesign/rag_at_scale.md``. :class:`BM25` is Okapi BM25
over an inverted index held as a sparse term-document matrix;
:class:`DenseIndex` is exact cosine search over unit-length embeddings (what
an approximate index such as HNSW approximates); :func:`reciprocal_rank_fusion`
merges their rankings by rank alone, so the two scores never need to be put
on one scale.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Sequence

import numpy as np
from scipy import sparse

#: Words too common to say anything about a passage (a short English list).
STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her
here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
only or other our ours out over own same she should so some such than that the their theirs them then
there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours
""".split())

_TOKEN = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """Lower-case alphanumeric words, stopwords and one-letter words removed."""
    return [t for t in _TOKEN.findall(text.lower()) if len(t) > 1 and t not in STOPWORDS]


class BM25:
    """Okapi BM25 (Robertson & Zaragoza) with Lucene's non-negative IDF.

    ``score(q, d) = sum over query terms t of
    idf(t) * tf(t, d) * (k1 + 1) / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))``
    with ``idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))``. A query term
    that appears twice counts twice.
    """

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        if not docs:
            raise ValueError("BM25 needs at least one document")
        if k1 < 0 or not 0 <= b <= 1:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={k1}, b={b}")
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for j, doc in enumerate(docs):
            if isinstance(doc, str):
                raise TypeError("BM25 takes tokenised documents (lists of words); call tokenize() first")
            for term, tf in Counter(doc).items():
                rows.append(self.vocab.setdefault(term, len(self.vocab)))
                cols.append(j)
                vals.append(tf)
        n_docs = len(docs)
        tf = sparse.csr_matrix((np.array(vals, dtype=np.float64), (rows, cols)),
                               shape=(len(self.vocab), n_docs))  # (V, N)
        self.doc_len = np.array([len(d) for d in docs], dtype=np.float64)  # (N,)
        avgdl = self.doc_len.mean() if self.doc_len.mean() > 0 else 1.0
        df = np.diff(tf.indptr)  # (V,) documents containing each term
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))  # (V,)
        # Precompute each (term, doc) weight: the index stores final impacts.
        norm = k1 * (1 - b + b * self.doc_len / avgdl)  # (N,)
        w = tf.tocoo()
        impact = self.idf[w.row] * w.data * (k1 + 1) / (w.data + norm[w.col])
        self.weights = sparse.csr_matrix((impact, (w.row, w.col)), shape=tf.shape)  # (V, N)
        self.n_docs = n_docs

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for a tokenised query, shape (N,)."""
        counts = Counter(t for t in query if t in self.vocab)
        if not counts:
            return np.zeros(self.n_docs)
        idx = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64)
        mult = np.fromiter(counts.values(), dtype=np.float64)
        return np.asarray(self.weights[idx].T @ mult).ravel()

    def search(self, query: Sequence[str], k: int) -> list[int]:
        """Indices of the ``k`` best documents, best first (documents scoring 0 are left out)."""
        return top_k(self.scores(query), k, positive_only=True)


def top_k(scores: np.ndarray, k: int, positive_only: bool = False) -> list[int]:
    """Indices of the ``k`` largest scores, best first; ties broken by lower index."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    scores = np.asarray(scores)
    k = min(k, scores.size)
    part = np.argpartition(-scores, k - 1)[:k] if k < scores.size else np.arange(scores.size)
    order = part[np.lexsort((part, -scores[part]))]
    if positive_only:
        order = order[scores[order] > 0]
    return order.tolist()


class DenseIndex:
    """Exact maximum-inner-product search over unit-length embeddings (cosine similarity)."""

    def __init__(self, embeddings: np.ndarray):
        emb = np.asarray(embeddings, dtype=np.float32)  # (N, d)
        if emb.ndim != 2 or not len(emb):
            raise ValueError(f"embeddings must be a non-empty (N, d) array, got shape {emb.shape}")
        norms = np.linalg.norm(emb, axis=1)
        if not np.allclose(norms, 1, atol=1e-3):
            raise ValueError("embeddings must have unit length (normalise them) for cosine search")
        self.embeddings = emb

    def scores(self, query: np.ndarray) -> np.ndarray:
        return self.embeddings @ np.asarray(query, dtype=np.float32)  # (N,)

    def search(self, query: np.ndarray, k: int) -> list[int]:
        return top_k(self.scores(query), k)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hashable]], k: int = 60) -> list[tuple[Hashable, float]]:
    """Fuse rankings by ``score(d) = sum over rankings of 1 / (k + rank(d))``, ranks from 1.

    Cormack, Clarke & Büttcher (2009) use ``k = 60``. Returns ``(id, score)``
    pairs, best first; ties keep the order in which ids were first seen. A
    ranking must not repeat an id.
    """
    if k < 0:
        raise ValueError(f"the RRF constant k must be >= 0, got {k}")
    fused: dict[Hashable, float] = {}
    for ranking in rankings:
        if len(set(ranking)) != len(ranking):
            raise ValueError("a ranking repeats an id; each document may appear once per ranking")
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
    order = sorted(enumerate(fused.items()), key=lambda item: (-item[1][1], item[0]))
    return [pair for _, pair in order]
