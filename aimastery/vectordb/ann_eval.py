"""Judging approximate search: recall@k against exact search, and queries per second, on the same vectors.

Taught in ``book/vector_search.md``; ``make bench ONLY=vector`` runs the
same comparison on 100,000 vectors. Every index is driven through one
shape, ``search_batch(queries, k, knob) -> ids (n_queries, k)``, where the
knob is ``ef_search`` for HNSW and ``nprobe`` for IVF; one thread each, so
the figures compare algorithms and implementations, not core counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from aimastery.vectordb.exact import knn_recall, normalize

SearchBatch = Callable[[np.ndarray, int, int], np.ndarray]


def synthetic_embeddings(n: int, dim: int = 384, latent: int = 32, clusters: int = 64, noise: float = 0.3,
                         seed: int = 0) -> np.ndarray:
    """Unit vectors shaped like sentence embeddings: clustered, of low intrinsic dimension, in ``dim`` dims.

    A point is a cluster centre plus Gaussian scatter in a ``latent``-dimensional
    space, mapped into ``dim`` dimensions by a fixed random matrix, plus a
    little isotropic noise. Uniform random vectors in 384 dimensions would be
    a poor stand-in: every pair is almost equally far apart, which real
    embeddings are not.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, latent)) * 2.0
    z = centres[rng.integers(clusters, size=n)] + rng.normal(size=(n, latent))  # (n, latent)
    mix = rng.normal(size=(latent, dim)) / np.sqrt(latent)  # (latent, dim)
    return normalize(z @ mix + noise * rng.normal(size=(n, dim)))


@dataclass(frozen=True)
class CurvePoint:
    index: str
    knob: int  # ef_search or nprobe
    recall: float  # recall@k against exact search
    qps: float  # queries per second, one thread


def seconds_per_query(search_batch: SearchBatch, queries: np.ndarray, k: int, knob: int,
                      min_time: float = 0.1) -> float:
    """Time ``search_batch`` over all the queries, again and again until ``min_time`` has passed.

    A fast library answers a hundred queries in a millisecond, too short a
    window to time on a busy machine: repeating the pass makes it long enough.
    """
    passes, start = 0, time.perf_counter()
    while True:
        search_batch(queries, k, knob)
        passes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / (passes * len(queries))


def sweep(name: str, search_batch: SearchBatch, queries: np.ndarray, truth: np.ndarray, knobs: Sequence[int],
          repeats: int = 1, min_time: float = 0.1) -> list[CurvePoint]:
    """Recall@k and QPS at each knob value; QPS from the best of ``repeats`` timings of at least ``min_time``."""
    k = truth.shape[1]
    points = []
    for knob in knobs:
        found = search_batch(queries, k, knob)
        best = min(seconds_per_query(search_batch, queries, k, knob, min_time) for _ in range(repeats))
        points.append(CurvePoint(name, int(knob), knn_recall(found, truth), 1.0 / best))
    return points


def qps_at_recall(points: Sequence[CurvePoint], target: float) -> CurvePoint | None:
    """The fastest point whose recall reaches ``target`` (None when no point does)."""
    good = [p for p in points if p.recall >= target]
    return max(good, key=lambda p: p.qps) if good else None


# ----- the real libraries, on the same vectors, one thread each


class HnswlibIndex:
    """``hnswlib`` (the reference C++ HNSW of the paper's authors), cosine space, one thread."""

    def __init__(self, data: np.ndarray, M: int = 16, ef_construction: int = 100, seed: int = 0):
        import hnswlib

        self.index = hnswlib.Index(space="cosine", dim=data.shape[1])
        self.index.init_index(max_elements=len(data), M=M, ef_construction=ef_construction, random_seed=seed)
        self.index.set_num_threads(1)
        self.index.add_items(normalize(data), np.arange(len(data)), num_threads=1)

    def search_batch(self, queries: np.ndarray, k: int, ef: int) -> np.ndarray:
        self.index.set_ef(max(ef, k))
        labels, _ = self.index.knn_query(queries, k=k, num_threads=1)
        return labels.astype(np.int64)


class FaissHNSWIndex:
    """``faiss.IndexHNSWFlat`` over inner products of unit vectors (cosine), one thread."""

    def __init__(self, data: np.ndarray, M: int = 16, ef_construction: int = 100):
        import faiss

        faiss.omp_set_num_threads(1)
        self._faiss = faiss
        self.index = faiss.IndexHNSWFlat(data.shape[1], M, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = ef_construction
        self.index.add(normalize(data))

    def search_batch(self, queries: np.ndarray, k: int, ef: int) -> np.ndarray:
        self.index.hnsw.efSearch = max(ef, k)
        _, ids = self.index.search(normalize(queries), k)
        return ids.astype(np.int64)


class FaissIVFIndex:
    """``faiss.IndexIVFFlat`` (inner product), trained on the data itself, one thread."""

    def __init__(self, data: np.ndarray, n_lists: int = 64):
        import faiss

        faiss.omp_set_num_threads(1)
        x = normalize(data)
        quantizer = faiss.IndexFlatIP(x.shape[1])
        self.index = faiss.IndexIVFFlat(quantizer, x.shape[1], n_lists, faiss.METRIC_INNER_PRODUCT)
        self.index.train(x)
        self.index.add(x)
        self._quantizer = quantizer  # faiss keeps a raw pointer: hold a reference

    def search_batch(self, queries: np.ndarray, k: int, nprobe: int) -> np.ndarray:
        self.index.nprobe = nprobe
        _, ids = self.index.search(normalize(queries), k)
        return ids.astype(np.int64)


def course_pages() -> list[str]:
    """Every page of the course (chapters, labs, the README), as paths relative to the repository root."""
    from aimastery.config import REPO_ROOT

    pages = sorted(REPO_ROOT.glob("book/**/*.md")) + sorted(REPO_ROOT.glob("labs/*/lab.md"))
    return [str(p.relative_to(REPO_ROOT)) for p in pages if "_build" not in p.parts] + ["README.md"]


def course_chunks(max_words: int = 24) -> list[str]:
    """The course's pages cut into short chunks (with their page and heading), the RAG chapter's splitter."""
    from aimastery.sysdesign.corpus import build_corpus

    return [p.text for p in build_corpus(course_pages(), max_words=max_words)]


@dataclass
class Comparison:
    """Every index's recall-QPS curve on one set of vectors, and the from-scratch HNSW's speed ratio."""

    curves: dict[str, list[CurvePoint]]  # index name -> points, one per knob value
    build_s: dict[str, float]
    scratch_at_target: CurvePoint | None  # the from-scratch HNSW's fastest point with recall >= target
    hnswlib_at_target: CurvePoint | None
    ratio: float | None  # QPS of ours / QPS of hnswlib at those two points, re-timed alternately
    scratch: object  # the from-scratch HNSW index


def compare_indexes(data: np.ndarray, queries: np.ndarray, n_lists: int, ef_search: Sequence[int],
                    nprobe: Sequence[int], k: int = 10, M: int = 16, ef_construction: int = 100,
                    target: float = 0.95, scratch=None, repeats: int = 3) -> Comparison:
    """Build the from-scratch HNSW (unless given) and IVF, hnswlib, faiss HNSW and IVF on ``data``; sweep each.

    The QPS ratio at ``target`` recall is timed again with the two indexes
    alternating, ``repeats`` times (best of each), so that a change in the
    machine's load hits both alike.
    """
    from threadpoolctl import threadpool_limits

    from aimastery.vectordb.exact import exact_knn
    from aimastery.vectordb.hnsw import HNSW
    from aimastery.vectordb.ivf import IVF

    truth, _ = exact_knn(data, queries, k)
    build: dict[str, float] = {}

    def timed(name, make):
        start = time.perf_counter()
        made = make()
        build[name] = time.perf_counter() - start
        return made

    def scratch_hnsw():
        index = HNSW(data.shape[1], M=M, ef_construction=ef_construction, capacity=len(data))
        index.add(data)
        return index

    with threadpool_limits(1, user_api="blas"):
        ours = scratch if scratch is not None else timed("HNSW (from scratch)", scratch_hnsw)
        lib = timed("hnswlib", lambda: HnswlibIndex(data, M=M, ef_construction=ef_construction))
        fh = timed("faiss HNSW", lambda: FaissHNSWIndex(data, M=M, ef_construction=ef_construction))
        ivf = timed("IVF (from scratch)", lambda: IVF(n_lists).build(data))
        fi = timed("faiss IVF", lambda: FaissIVFIndex(data, n_lists))
        curves = {
            "HNSW (from scratch)": sweep("HNSW (from scratch)", ours.search_batch, queries, truth, ef_search),
            "hnswlib": sweep("hnswlib", lib.search_batch, queries, truth, ef_search),
            "faiss HNSW": sweep("faiss HNSW", fh.search_batch, queries, truth, ef_search),
            "IVF (from scratch)": sweep("IVF (from scratch)", ivf.search_batch, queries, truth, nprobe),
            "faiss IVF": sweep("faiss IVF", fi.search_batch, queries, truth, nprobe),
        }
        mine, theirs = qps_at_recall(curves["HNSW (from scratch)"], target), qps_at_recall(curves["hnswlib"], target)
        ratio = None
        if mine and theirs:
            best = {"ours": np.inf, "lib": np.inf}
            for _ in range(repeats):
                for name, index, ef in (("ours", ours, mine.knob), ("lib", lib, theirs.knob)):
                    best[name] = min(best[name], seconds_per_query(index.search_batch, queries, k, ef))
            ratio = best["lib"] / best["ours"]
    return Comparison(curves, build, mine, theirs, ratio, ours)
