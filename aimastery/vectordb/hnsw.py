"""HNSW, a hierarchical navigable small-world graph, written from scratch in NumPy.

Taught in ``book/vector_search.md``, after Malkov & Yashunin (2018). Each
vector is a node; it is given a random top layer ``l`` with
``P(l >= L) = M**-L``; on every layer up to ``l`` it is linked to at most
``M`` neighbours (``2 * M`` on layer 0) picked by the *neighbour-selection
heuristic*. A search enters at the top, walks greedily down the sparse upper
layers, and on layer 0 runs a best-first beam search that keeps the ``ef``
closest nodes seen. ``M``, ``ef_construction`` and ``ef_search`` trade
recall for speed and memory.

Distances are cosine distances, ``1 - x·q``, over unit-length vectors.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from threadpoolctl import threadpool_limits

from aimastery.vectordb.exact import normalize


class HNSW:
    """An HNSW index over unit vectors (cosine distance); ids are insertion order 0, 1, 2, ...

    >>> index = HNSW(dim=384, M=16, ef_construction=100)
    >>> index.add(vectors)                      # (n, 384), normalised on the way in
    >>> ids, dists = index.search(query, k=10, ef=64)
    """

    def __init__(self, dim: int, M: int = 16, ef_construction: int = 100, capacity: int = 1024, seed: int = 0):
        if M < 2:
            raise ValueError(f"M (links per node) must be at least 2, got {M}")
        if ef_construction < 1:
            raise ValueError(f"ef_construction must be at least 1, got {ef_construction}")
        self.dim, self.M, self.M0 = dim, M, 2 * M
        self.ef_construction = ef_construction
        self.mL = 1 / math.log(M)  # level multiplier: P(level >= L) = M ** -L
        self.rng = np.random.default_rng(seed)
        self.vectors = np.empty((capacity, dim), dtype=np.float32)  # (capacity, d)
        self.links0 = np.full((capacity, self.M0), -1, dtype=np.int32)  # (capacity, 2M): layer-0 neighbours
        self.count0 = np.zeros(capacity, dtype=np.int32)  # (capacity,) links used on layer 0
        self.upper: list[dict[int, np.ndarray]] = []  # upper[L - 1][node]: neighbours on layer L >= 1
        self.levels = np.zeros(capacity, dtype=np.int32)
        self._visited = np.zeros(capacity, dtype=np.int64)  # stamp of the last search that saw a node
        self._stamp = 0
        self.n = 0
        self.entry, self.max_level = -1, -1
        self.distance_count = 0  # distances computed so far (the cost model of graph search)

    def __len__(self) -> int:
        return self.n

    # ----- storage

    def _grow(self, need: int) -> None:
        cap = len(self.vectors)
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name, fill in (("vectors", 0), ("links0", -1), ("count0", 0), ("levels", 0), ("_visited", 0)):
            old = getattr(self, name)
            grown = np.full((new, *old.shape[1:]), fill, dtype=old.dtype)
            grown[:cap] = old
            setattr(self, name, grown)

    def neighbours(self, node: int, layer: int) -> np.ndarray:
        """The node's links on ``layer`` (int32 ids)."""
        if layer == 0:
            return self.links0[node, :self.count0[node]]
        return self.upper[layer - 1][node]

    def _set_neighbours(self, node: int, layer: int, ids: np.ndarray) -> None:
        if layer == 0:
            self.links0[node, :len(ids)] = ids
            self.links0[node, len(ids):] = -1
            self.count0[node] = len(ids)
        else:
            self.upper[layer - 1][node] = np.asarray(ids, dtype=np.int32)

    def _distances(self, q: np.ndarray, ids: np.ndarray) -> np.ndarray:
        self.distance_count += len(ids)
        return 1.0 - self.vectors[ids] @ q  # (len(ids),)

    # ----- search

    def search_layer(self, q: np.ndarray, entry_points: list[int], ef: int, layer: int,
                     allowed: np.ndarray | None = None) -> list[tuple[float, int]]:
        """Best-first beam search on one layer: the ``ef`` nearest nodes found, as (distance, id), nearest first.

        ``candidates`` is a min-heap of nodes still to expand; ``results`` a
        max-heap (negated distances) of the ``ef`` best seen. The search stops
        when the nearest unexpanded candidate is farther than the worst result.
        With ``allowed`` (a boolean mask), the walk still passes through every
        node but only allowed nodes enter the results: the filtered search.
        """
        self._stamp += 1
        stamp, visited = self._stamp, self._visited
        eps = np.asarray(entry_points, dtype=np.int32)
        visited[eps] = stamp
        candidates: list[tuple[float, int]] = []
        results: list[tuple[float, int]] = []
        for d, e in zip(self._distances(q, eps).tolist(), eps.tolist()):
            heapq.heappush(candidates, (d, e))
            if allowed is None or allowed[e]:
                heapq.heappush(results, (-d, e))
        while len(results) > ef:
            heapq.heappop(results)
        while candidates:
            d, c = heapq.heappop(candidates)
            if len(results) >= ef and d > -results[0][0]:
                break
            nbrs = self.neighbours(c, layer)
            new = nbrs[visited[nbrs] != stamp]
            if not len(new):
                continue
            visited[new] = stamp
            dist = self._distances(q, new)
            if len(results) >= ef:  # only nodes closer than the worst result can enter
                keep = dist < -results[0][0]
                new, dist = new[keep], dist[keep]
            for dn, n in zip(dist.tolist(), new.tolist()):
                if len(results) < ef or dn < -results[0][0]:
                    heapq.heappush(candidates, (dn, n))
                    if allowed is None or allowed[n]:
                        heapq.heappush(results, (-dn, n))
                        if len(results) > ef:
                            heapq.heappop(results)
        return sorted((-negd, n) for negd, n in results)

    def search(self, query: np.ndarray, k: int, ef: int | None = None,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest ids and their cosine distances (``ef >= k`` nodes kept on layer 0).

        ``allowed`` (bool, one per id) restricts the answer to those ids, for
        a tenant's or a metadata filter's share of one shared graph.
        """
        if self.n == 0:
            raise ValueError("the index is empty: add vectors before searching")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        ef = max(ef or k, k)
        q = normalize(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]  # (d,)
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=bool)
            if allowed.shape != (self.n,):
                raise ValueError(f"allowed must be one bool per indexed vector ({self.n}), got shape {allowed.shape}")
        ep = [self.entry]
        for layer in range(self.max_level, 0, -1):  # greedy descent: a beam of one
            ep = [self.search_layer(q, ep, 1, layer)[0][1]]
        found = self.search_layer(q, ep, ef, 0, allowed)[:k]
        return (np.array([n for _, n in found], dtype=np.int64),
                np.array([d for d, _ in found], dtype=np.float32))

    def search_batch(self, queries: np.ndarray, k: int, ef: int | None = None) -> np.ndarray:
        """``search`` for each row of ``queries``; ids (n_queries, k), -1 where fewer than k were found."""
        out = np.full((len(queries), k), -1, dtype=np.int64)
        with threadpool_limits(1, user_api="blas"):  # small products: threads only contend
            for i, q in enumerate(queries):
                ids, _ = self.search(q, k, ef)
                out[i, :len(ids)] = ids
        return out

    # ----- construction

    def select_neighbours(self, candidates: list[tuple[float, int]], m: int) -> list[int]:
        """The heuristic of Malkov & Yashunin (Algorithm 4): keep a candidate, nearest first, only if it
        is closer to the base node than to every neighbour already kept, so links spread in all directions
        instead of crowding into one cluster. ``candidates`` are (distance to base, id), nearest first."""
        if len(candidates) <= m:
            return [n for _, n in candidates]
        ids = np.fromiter((n for _, n in candidates), dtype=np.int32, count=len(candidates))
        to_base = np.fromiter((d for d, _ in candidates), dtype=np.float32, count=len(candidates))
        x = self.vectors[ids]  # (c, d)
        between = 1.0 - x @ x.T  # (c, c) distances among the candidates
        self.distance_count += len(ids) * len(ids)
        kept: list[int] = []
        for i in range(len(ids)):
            if not kept or (between[i, kept] > to_base[i]).all():
                kept.append(i)
                if len(kept) == m:
                    break
        return ids[kept].tolist()

    def _random_level(self) -> int:
        return int(-math.log(1.0 - self.rng.random()) * self.mL)

    def add(self, vectors: np.ndarray) -> np.ndarray:
        """Insert each row (normalised first); returns the new ids."""
        x = normalize(np.atleast_2d(vectors))
        if x.shape[1] != self.dim:
            raise ValueError(f"this index holds {self.dim}-dimensional vectors, got {x.shape[1]}")
        self._grow(self.n + len(x))
        first = self.n
        with threadpool_limits(1, user_api="blas"):  # small products: threads only contend
            for v in x:
                self._insert(v)
        return np.arange(first, self.n)

    def _insert(self, v: np.ndarray) -> None:
        node = self.n
        self.vectors[node] = v
        level = self._random_level()
        self.levels[node] = level
        while len(self.upper) < level:
            self.upper.append({})
        for layer in range(1, level + 1):
            self.upper[layer - 1][node] = np.empty(0, dtype=np.int32)
        self.n += 1
        if self.entry < 0:
            self.entry, self.max_level = node, level
            return
        ep = [self.entry]
        for layer in range(self.max_level, level, -1):
            ep = [self.search_layer(v, ep, 1, layer)[0][1]]
        for layer in range(min(level, self.max_level), -1, -1):
            found = self.search_layer(v, ep, self.ef_construction, layer)
            chosen = self.select_neighbours(found, self.M)
            self._set_neighbours(node, layer, np.asarray(chosen, dtype=np.int32))
            cap = self.M0 if layer == 0 else self.M
            for n in chosen:  # the reverse links, shrunk by the same heuristic when full
                links = self.neighbours(n, layer)
                if len(links) < cap:
                    self._set_neighbours(n, layer, np.append(links, node).astype(np.int32))
                    continue
                pool = np.append(links, node).astype(np.int32)
                d = 1.0 - self.vectors[pool] @ self.vectors[n]
                self.distance_count += len(pool)
                order = np.argsort(d, kind="stable")
                kept = self.select_neighbours([(float(d[i]), int(pool[i])) for i in order], cap)
                self._set_neighbours(n, layer, np.asarray(kept, dtype=np.int32))
            ep = [n for _, n in found]
        if level > self.max_level:
            self.entry, self.max_level = node, level

    def memory_bytes(self) -> int:
        """Bytes held by the vectors and the links (the graph's overhead over the raw vectors)."""
        upper = sum(len(a) * 4 for layer in self.upper for a in layer.values())
        return self.n * (self.dim * 4 + self.M0 * 4 + 4) + upper
