"""Vector search at 100,000 vectors (book/vector_search.md): recall@10 and QPS, ours beside hnswlib and faiss.

``make bench ONLY=vector`` builds, on the same vectors and with the same
``M`` and ``ef_construction``, the from-scratch HNSW and IVF of
:mod:`aimastery.vectordb`, hnswlib's HNSW, and faiss's HNSW and IVF; sweeps
``ef_search`` (``nprobe`` for IVF) and prints each curve, the build times,
and the from-scratch HNSW's QPS at recall@10 >= 0.95 as a ratio to
hnswlib's (each library's fastest setting that reaches that recall). Two
sets of vectors: a synthetic set of 100,000 embedding-like vectors, and the
MiniLM embeddings of the course's own pages. One thread each; the load
average is printed with the figures (re-measure on a quiet machine). The
recall-QPS figure is written to ``_build/bench/vector_recall_qps.png``.
"""

from __future__ import annotations

import os
import time

import numpy as np

TARGET = 0.95
K = 10
M, EF_CONSTRUCTION = 16, 100
EF_SEARCH = (10, 20, 40, 80, 160, 320)
NPROBE = (1, 2, 4, 8, 16, 32)


def compare(data: np.ndarray, queries: np.ndarray, n_lists: int) -> dict:
    from aimastery.vectordb.ann_eval import compare_indexes

    c = compare_indexes(data, queries, n_lists, EF_SEARCH, NPROBE, k=K, M=M, ef_construction=EF_CONSTRUCTION,
                        target=TARGET)
    mine, theirs = c.scratch_at_target, c.hnswlib_at_target
    return {
        "n": len(data), "dim": data.shape[1], "queries": len(queries),
        "build_s": {k: round(v, 2) for k, v in c.build_s.items()},
        "curves": {k: [[p.knob, round(p.recall, 4), round(p.qps, 1)] for p in v] for k, v in c.curves.items()},
        "scratch_reaches_target": mine is not None,
        "scratch_ef_at_target": mine.knob if mine else None,
        "scratch_qps_at_target": round(mine.qps, 1) if mine else None,
        "hnswlib_ef_at_target": theirs.knob if theirs else None,
        "hnswlib_qps_at_target": round(theirs.qps, 1) if theirs else None,
        "qps_ratio_scratch_to_hnswlib": round(c.ratio, 4) if c.ratio else None,  # re-timed alternately
        "scratch_bytes_per_vector": round(c.scratch.memory_bytes() / len(data), 1),
        "_curves": c.curves,
    }


def lists_for(n: int) -> int:
    """IVF cells: about sqrt(n), and at least 39 vectors per cell (what faiss's k-means asks for)."""
    return max(1, min(int(np.sqrt(n)), n // 39))


def plot(results: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aimastery.plotting import use_course_style

    use_course_style()
    fig, axes = plt.subplots(1, len(results), figsize=(5.2 * len(results), 3.8))
    for ax, (title, res) in zip(np.atleast_1d(axes), results.items()):
        for points in res["_curves"].values():
            ax.plot([p.recall for p in points], [p.qps for p in points], marker="o", label=points[0].index)
        ax.axvline(TARGET, color="grey", ls=":", lw=1)
        ax.set(xlabel=f"recall@{K}", ylabel="queries / s (one thread)", yscale="log",
               title=f"{title}: {res['n']:,} vectors")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def run(n: int = 100_000, n_queries: int = 500) -> dict:
    from aimastery.config import REPO_ROOT, SEED
    from aimastery.pretrained import MiniLMEncoder
    from aimastery.vectordb.ann_eval import course_chunks, synthetic_embeddings

    import torch

    torch.set_num_threads(1)
    x = synthetic_embeddings(n + n_queries, seed=SEED)
    synthetic = compare(x[:n], x[n:], n_lists=lists_for(n))
    chunks = course_chunks()
    start = time.perf_counter()
    emb = MiniLMEncoder().encode(chunks)
    embed_s = time.perf_counter() - start
    rng = np.random.default_rng(SEED)
    held = rng.permutation(len(emb))
    nq = max(50, len(emb) // 10)
    minilm = compare(emb[held[nq:]], emb[held[:nq]], n_lists=lists_for(len(emb) - nq))
    out_png = REPO_ROOT / "_build" / "bench" / "vector_recall_qps.png"
    plot({"synthetic": synthetic, "MiniLM, the course's pages": minilm}, out_png)
    for res in (synthetic, minilm):
        res.pop("_curves")
    return {
        "target_recall_at_10": TARGET, "M": M, "ef_construction": EF_CONSTRUCTION,
        "synthetic": synthetic, "minilm_course_pages": minilm, "minilm_embed_s": round(embed_s, 1),
        "figure": str(out_png.relative_to(REPO_ROOT)),
        "threads": 1, "load_avg_1min": round(os.getloadavg()[0], 2),
    }
