"""Ranking metrics for retrieval and recommendation.

Taught in ``book/sysdesign/rag_at_scale.md`` (recall@k and MRR of a
retriever), ``book/sysdesign/recommendations.md`` (recall@k and catalogue
coverage of a recommender) and ``book/vector_search.md`` (nDCG). A ranking is a sequence of ids, best first; the
relevant ids are a set.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np


def _check_k(k: int) -> None:
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k must be a positive integer, got {k!r}")


def unique_in_order(ranked: Iterable[Hashable]) -> list:
    """Drop repeats, keeping the first (best) position of each id."""
    seen: set = set()
    return [x for x in ranked if not (x in seen or seen.add(x))]


def recall_at_k(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int) -> float:
    """Fraction of the relevant ids found among the first ``k`` of ``ranked``.

    ``ranked`` must not repeat ids (use :func:`unique_in_order` first).
    """
    _check_k(k)
    relevant = set(relevant)
    if not relevant:
        raise ValueError("recall is undefined without relevant ids")
    if len(set(ranked)) != len(ranked):
        raise ValueError("ranked repeats ids; deduplicate it with unique_in_order first")
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int | None = None) -> float:
    """``1 / rank`` of the first relevant id (ranks from 1), 0 if none is in the first ``k``."""
    relevant = set(relevant)
    if not relevant:
        raise ValueError("reciprocal rank is undefined without relevant ids")
    stop = len(ranked) if k is None else k
    for rank, x in enumerate(ranked[:stop], start=1):
        if x in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int) -> float:
    """Normalised discounted cumulative gain of the first ``k`` with binary relevance (Järvelin & Kekäläinen).

    ``DCG = sum over relevant ids at rank r <= k of 1 / log2(r + 1)``, divided
    by the DCG of the ideal ranking (every relevant id first), so 1 is perfect.
    Unlike recall@k it rewards finding the relevant ids *early*.
    """
    _check_k(k)
    relevant = set(relevant)
    if not relevant:
        raise ValueError("nDCG is undefined without relevant ids")
    if len(set(ranked)) != len(ranked):
        raise ValueError("ranked repeats ids; deduplicate it with unique_in_order first")
    dcg = sum(1.0 / np.log2(rank + 1) for rank, x in enumerate(ranked[:k], start=1) if x in relevant)
    ideal = sum(1.0 / np.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return float(dcg / ideal)


def catalogue_coverage(recommendations: Iterable[Iterable[Hashable]], n_items: int) -> float:
    """Fraction of the catalogue's ``n_items`` that appears in at least one list."""
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items}")
    shown = set()
    for recs in recommendations:
        shown.update(recs)
    return len(shown) / n_items
