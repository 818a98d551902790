"""Vector search lab — the search layer of HNSW, a tenant-filtered query, and weighted RRF.

The chapter (book/vector_search.md) walks HNSW greedily down its upper
layers and searches layer 0 with the course's finished index. Here you write
the pieces yourself, on a graph given to you (the layer 0 of an HNSW index
built by ``aimastery.vectordb.hnsw.HNSW``):

1. ``search_layer``: the best-first beam search that keeps the ``ef``
   nearest nodes it has seen;
2. ``tenant_search``: the same walk over a graph that several tenants share,
   answering with the ``k`` nearest nodes of *one* tenant;
3. ``weighted_rrf``: reciprocal-rank fusion with a weight per ranking, over
   the candidates one tenant may see.

``make lab-check WEEK=vector`` tells you how far you are.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from aimastery.vectordb.exact import normalize
from aimastery.vectordb.hnsw import HNSW


@dataclass
class Graph:
    """A navigable graph over unit vectors: ``neighbours[i]`` are the ids node ``i`` links to.

    A graph search is as cheap as the distances it computes, so ``distances``
    counts them in ``distance_count`` (like the course's ``HNSW``): compute
    every distance with it, and the count says how much of the graph a
    search looked at.
    """

    vectors: np.ndarray  # (n, d) float32, unit length
    neighbours: list[list[int]]
    entry: int  # where every search starts
    distance_count: int = 0  # distances computed so far, by every search on this graph

    def distances(self, q: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """Cosine distances ``1 - x·q`` from ``q`` to the nodes ``ids``, shape (len(ids),)."""
        ids = np.asarray(ids, dtype=np.int64)  # (len(ids),)
        self.distance_count += len(ids)
        return 1.0 - self.vectors[ids] @ q


def build_graph(vectors: np.ndarray, M: int = 8, ef_construction: int = 64, seed: int = 0) -> Graph:
    """Layer 0 of an HNSW index over ``vectors`` (given: you search it, you do not build it)."""
    index = HNSW(vectors.shape[1], M=M, ef_construction=ef_construction, capacity=len(vectors), seed=seed)
    index.add(vectors)
    return Graph(index.vectors[:len(vectors)].copy(),
                 [index.neighbours(i, 0).tolist() for i in range(len(vectors))], index.entry)


# ----- Task 1: the search layer


def search_layer(graph: Graph, q: np.ndarray, entry_points: list[int], ef: int) -> list[tuple[float, int]]:
    """The ``ef`` nearest nodes to ``q`` that a best-first walk from ``entry_points`` finds.

    Returns ``(distance, id)`` pairs, nearest first, at most ``ef`` of them,
    no id twice. Keep two heaps: ``candidates`` (a min-heap of nodes still to
    expand) and ``results`` (the ``ef`` best seen so far, as a max-heap:
    push ``(-distance, id)``). Pop the nearest candidate; stop when it is
    farther than the worst result while ``results`` is full; otherwise look
    at its neighbours not yet visited, and keep each one that is nearer than
    the worst result (or while fewer than ``ef`` results are held).

    This is not an exact search: it returns what the walk reaches. With
    ``ef=1`` it stops at the first node whose neighbours are all farther (a
    local minimum), and a node that no link leads to is never found.
    Compute every distance with ``graph.distances``, once per node: the
    tests count the calls, and a search of ``ef=10`` on their 500-node graph
    must look at fewer than a third of its nodes on average.
    """
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: The chapter's greedy walk, with a beam: one heap answers 'which node next?' (the nearest candidate), the other 'is it still worth going on?' (the worst of the ef results).
    ### HINT 2: A visited set, a min-heap of candidates (d, id) and a max-heap of results as (-d, id) trimmed to ef; return the results sorted by distance.
    ### Distances: graph.distances(q, entry_points) once at the start, then graph.distances(q, new) for the unvisited neighbours of each node you expand, and nothing else.
    visited = set(entry_points)
    candidates: list[tuple[float, int]] = []
    results: list[tuple[float, int]] = []
    for d, e in zip(graph.distances(q, entry_points).tolist(), entry_points):
        heapq.heappush(candidates, (d, e))
        heapq.heappush(results, (-d, e))
        if len(results) > ef:
            heapq.heappop(results)
    while candidates:
        d, c = heapq.heappop(candidates)
        if len(results) >= ef and d > -results[0][0]:
            break
        new = [n for n in graph.neighbours[c] if n not in visited]
        visited.update(new)
        if not new:
            continue
        for dn, n in zip(graph.distances(q, new).tolist(), new):
            if len(results) < ef or dn < -results[0][0]:
                heapq.heappush(candidates, (dn, n))
                heapq.heappush(results, (-dn, n))
                if len(results) > ef:
                    heapq.heappop(results)
    return sorted((-negd, n) for negd, n in results)
    ### END SOLUTION


def knn(graph: Graph, q: np.ndarray, k: int, ef: int) -> list[int]:
    """The ``k`` nearest ids by your ``search_layer`` from the graph's entry point (given)."""
    q = normalize(np.asarray(q, dtype=np.float32).reshape(1, -1))[0]
    return [n for _, n in search_layer(graph, q, [graph.entry], max(ef, k))[:k]]


# ----- Task 2: a tenant-filtered query over a shared graph


def tenant_search(graph: Graph, tenants: Sequence[str], tenant: str, q: np.ndarray, k: int,
                  ef: int) -> list[int]:
    """The ids of the ``k`` nodes of ``tenant`` nearest to ``q``, nearest first (fewer if it owns fewer).

    ``tenants[i]`` names the owner of node ``i``. The walk starts at
    ``graph.entry`` whoever owns it and passes *through* every tenant's
    nodes (the graph is only navigable whole), but only ``tenant``'s nodes
    may enter the results; keep up to ``max(ef, k)`` of them. A tenant that
    owns no node is an error (``ValueError`` naming it), not an empty answer.

    Like ``search_layer``, it returns what the walk finds, not an exact scan
    of the tenant's nodes: it stops where the results are full and the
    nearest candidate is farther than the worst of them, even if a nearer
    node of the tenant lies beyond. Compute every distance with
    ``graph.distances``, once per node (the tests count them).
    """
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: Start from a copy of your search_layer: the walk and its stopping rule stay, only what may enter the results changes, and how many results it keeps (k may be larger than ef).
    ### HINT 2: Unknown tenant -> ValueError; ef = max(ef, k); a neighbour, whoever owns it, goes onto the candidates by search_layer's rule (fewer than ef results held, or nearer than the worst of them), and onto the results too only if tenants[node] == tenant; return the k nearest ids.
    ### Keep search_layer's stopping rule (results full and the nearest candidate farther than the worst result): a scan of all the tenant's nodes is what this task replaces.
    if tenant not in set(tenants):
        raise ValueError(f"no node belongs to the tenant {tenant!r}")
    ef = max(ef, k)
    q = normalize(np.asarray(q, dtype=np.float32).reshape(1, -1))[0]
    e = graph.entry
    d0 = float(graph.distances(q, [e])[0])
    visited = {e}
    candidates = [(d0, e)]
    results: list[tuple[float, int]] = [(-d0, e)] if tenants[e] == tenant else []
    while candidates:
        d, c = heapq.heappop(candidates)
        if len(results) >= ef and d > -results[0][0]:
            break
        new = [n for n in graph.neighbours[c] if n not in visited]
        visited.update(new)
        if not new:
            continue
        for dn, n in zip(graph.distances(q, new).tolist(), new):
            if len(results) < ef or dn < -results[0][0]:
                heapq.heappush(candidates, (dn, n))
                if tenants[n] == tenant:
                    heapq.heappush(results, (-dn, n))
                    if len(results) > ef:
                        heapq.heappop(results)
    return [n for _, n in sorted((-negd, n) for negd, n in results)[:k]]
    ### END SOLUTION


# ----- Task 3: weighted reciprocal-rank fusion over one tenant's candidates


def weighted_rrf(rankings: Sequence[Sequence[Hashable]], weights: Sequence[float],
                 allowed: set | None = None, k: int = 60) -> list[tuple[Hashable, float]]:
    """Fuse rankings by ``score(d) = sum over rankings r of weights[r] / (k + rank_r(d))``, best first.

    - Only ids in ``allowed`` take part (all ids when ``allowed`` is None). Drop
      the others from each ranking *before* ranking, so that a tenant's best
      candidate has rank 1 in its own view.
    - Ranks count from 1. Bad arguments are a ``ValueError`` whose message
      says what was wrong: "one weight per ranking" when the counts differ,
      "weights must be >= 0" for a negative weight, and, for a ranking that
      lists an id twice, that it "repeats" that id (name it).
    - Ties keep the order in which ids were first seen (ranking by ranking).
    Returns ``(id, score)`` pairs.
    """
    ### BEGIN SOLUTION (Task 3)
    ### HINT 1: Filter each ranking first, then number what is left from 1; a dict from id to score fills in first-seen order, and a stable sort keeps that order among ties.
    ### HINT 2: Validate first (one weight per ranking, no negative weight, no repeated id in a ranking); rank within the filtered list; sort by score descending, ties in first-seen order.
    if len(weights) != len(rankings):
        raise ValueError(f"one weight per ranking: {len(rankings)} rankings, {len(weights)} weights")
    if any(w < 0 for w in weights):
        raise ValueError(f"weights must be >= 0, got {list(weights)}")
    fused: dict[Hashable, float] = {}
    for ranking, w in zip(rankings, weights):
        if len(set(ranking)) != len(ranking):
            twice = next(d for i, d in enumerate(ranking) if d in ranking[:i])
            raise ValueError(f"a ranking repeats {twice!r}; each id may appear once per ranking")
        kept = [d for d in ranking if allowed is None or d in allowed]
        for rank, d in enumerate(kept, start=1):
            fused[d] = fused.get(d, 0.0) + w / (k + rank)
    order = sorted(enumerate(fused.items()), key=lambda item: (-item[1][1], item[0]))
    return [pair for _, pair in order]
    ### END SOLUTION
