"""IVF, an inverted-file index: k-means cells, and only the ``nprobe`` nearest cells are searched.

Taught in ``book/vector_search.md`` (Jégou, Douze & Schmid 2011 add product
quantization on top; this is the flat version, ``faiss.IndexIVFFlat``'s
idea). Training clusters the vectors into ``n_lists`` cells with k-means
(scikit-learn's, not the lesson here); each vector is stored in its nearest
cell's list; a query scores the centroids, then every vector in its
``nprobe`` best cells, exactly.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from aimastery.vectordb.exact import normalize


class IVF:
    """Inverted lists over unit vectors (cosine similarity)."""

    def __init__(self, n_lists: int = 64, seed: int = 0, train_size: int = 20_000):
        if n_lists < 1:
            raise ValueError(f"n_lists must be at least 1, got {n_lists}")
        self.n_lists, self.seed, self.train_size = n_lists, seed, train_size
        self.centroids: np.ndarray | None = None
        self.lists: list[np.ndarray] = []
        self.scanned = 0  # vectors scored by searches so far (the cost of a probe)

    def build(self, vectors: np.ndarray) -> "IVF":
        """Train the cells on (a sample of) ``vectors`` and file every vector in its nearest cell."""
        x = normalize(vectors)  # (n, d)
        if len(x) < self.n_lists:
            raise ValueError(f"{self.n_lists} cells need at least as many vectors, got {len(x)}")
        rng = np.random.default_rng(self.seed)
        sample = x[rng.choice(len(x), min(len(x), self.train_size), replace=False)]
        km = KMeans(self.n_lists, n_init=1, max_iter=25, random_state=self.seed).fit(sample)
        self.centroids = normalize(km.cluster_centers_.astype(np.float32))  # (n_lists, d)
        cell = np.argmax(x @ self.centroids.T, axis=1)  # (n,) nearest centroid by cosine
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(self.n_lists + 1))
        self.lists = [order[bounds[c]:bounds[c + 1]] for c in range(self.n_lists)]
        self.vectors = x
        return self

    def search(self, query: np.ndarray, k: int, nprobe: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best ids among the ``nprobe`` nearest cells, and their similarities."""
        if self.centroids is None:
            raise ValueError("build() the index before searching")
        if not 1 <= nprobe <= self.n_lists:
            raise ValueError(f"nprobe must be between 1 and n_lists ({self.n_lists}), got {nprobe}")
        q = normalize(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]
        cells = np.argsort(-(self.centroids @ q))[:nprobe]
        ids = np.concatenate([self.lists[c] for c in cells])
        self.scanned += len(ids)
        sims = self.vectors[ids] @ q
        top = np.argsort(-sims, kind="stable")[:k]
        return ids[top], sims[top]

    def search_batch(self, queries: np.ndarray, k: int, nprobe: int = 1) -> np.ndarray:
        out = np.full((len(queries), k), -1, dtype=np.int64)
        for i, q in enumerate(queries):
            ids, _ = self.search(q, k, nprobe)
            out[i, :len(ids)] = ids
        return out
