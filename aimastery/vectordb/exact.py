"""Exact k-nearest-neighbour search by cosine similarity: the ground truth an index is judged by.

Taught in ``book/vector_search.md``. For unit-length vectors cosine
similarity is the inner product, so exact search over ``n`` vectors is one
matrix product and a partial sort per query.
"""

from __future__ import annotations

import numpy as np


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32; a clear error for a zero or non-finite row."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected an (n, d) array of vectors, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("vectors contain NaN or infinite values")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError("a zero vector has no direction, so no cosine similarity; remove it")
    return x / norms


def exact_knn(data: np.ndarray, queries: np.ndarray, k: int, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar rows of ``data`` for each query: ``(ids, similarities)``, both (n_queries, k).

    Both inputs must already be unit length. Ties are broken by the lower id,
    so the answer is unique; queries go in batches to bound memory.
    """
    data = np.asarray(data, dtype=np.float32)  # (n, d)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))  # (q, d)
    if not 1 <= k <= len(data):
        raise ValueError(f"k must be between 1 and the number of vectors ({len(data)}), got {k}")
    ids = np.empty((len(queries), k), dtype=np.int64)
    sims = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), batch):
        s = queries[start:start + batch] @ data.T  # (b, n)
        part = np.argpartition(-s, k - 1, axis=1)[:, :k] if k < s.shape[1] else np.tile(np.arange(k), (len(s), 1))
        for row in range(len(s)):
            cand = part[row]
            order = cand[np.lexsort((cand, -s[row, cand]))]
            ids[start + row] = order
            sims[start + row] = s[row, order]
    return ids, sims


def knn_recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean over queries of |found ∩ truth| / k, where ``truth`` holds the exact top-k ids (n_queries, k)."""
    found, truth = np.asarray(found), np.asarray(truth)
    if found.shape[0] != truth.shape[0]:
        raise ValueError(f"found has {found.shape[0]} queries and truth {truth.shape[0]}")
    k = truth.shape[1]
    hits = sum(len(np.intersect1d(f[:k], t)) for f, t in zip(found, truth))
    return hits / (k * len(truth))
