"""Candidate generation by matrix factorisation on implicit feedback.

Taught in ``book/sysdesign/recommendations.md``. :func:`generate_implicit_feedback`
makes users and items with a known taste structure (latent genres plus a
long-tailed popularity); :func:`als_step` is one half-step of implicit ALS
(Hu, Koren & Volinsky, 2008); :func:`train_als` alternates it;
:func:`recommend` and :func:`popularity_recommend` produce top-k lists that
:mod:`aimastery.sysdesign.metrics` scores; :func:`time_top_k` measures exact
candidate retrieval as the catalogue grows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass
class ImplicitData:
    """Interactions split into train and held-out test, with the structure that made them."""

    train: sparse.csr_matrix  # (n_users, n_items) 1 where the user interacted
    test: list[np.ndarray]  # per user, the held-out item ids
    user_genre: np.ndarray  # (n_users,) each user's favourite genre
    item_genre: np.ndarray  # (n_items,) each item's genre
    popularity: np.ndarray  # (n_items,) the popularity weights used to generate


def generate_implicit_feedback(n_users: int, n_items: int, n_genres: int, per_user: int, n_test: int,
                               rng: np.random.Generator, zipf_s: float = 1.0,
                               taste: float = 3.0) -> ImplicitData:
    """Users interact with ``per_user`` distinct items each; ``n_test`` of them are held out.

    Every item has a genre and a Zipf popularity ``1 / rank**zipf_s``; every
    user has a favourite genre and a mild second one. A user picks items with
    probability proportional to ``popularity * exp(taste * affinity)`` (drawn
    without replacement with the Gumbel top-k trick), so a good model must
    learn the genres, and a popularity list gets the head of the catalogue
    right and nothing else.
    """
    if not 0 < n_test < per_user < n_items:
        raise ValueError(f"need 0 < n_test < per_user < n_items, got {n_test}, {per_user}, {n_items}")
    item_genre = rng.integers(0, n_genres, n_items)
    popularity = 1.0 / rng.permutation(np.arange(1, n_items + 1)) ** zipf_s
    user_genre = rng.integers(0, n_genres, n_users)
    second = (user_genre + rng.integers(1, n_genres, n_users)) % n_genres
    affinity = (item_genre[None, :] == user_genre[:, None]) + 0.5 * (item_genre[None, :] == second[:, None])
    logits = np.log(popularity)[None, :] + taste * affinity  # (U, I)
    gumbel = -np.log(-np.log(rng.random((n_users, n_items))))
    chosen = np.argpartition(-(logits + gumbel), per_user - 1, axis=1)[:, :per_user]  # (U, per_user)
    rows, cols, test = [], [], []
    for u in range(n_users):
        items = rng.permutation(chosen[u])
        test.append(np.sort(items[:n_test]))
        rows.append(np.full(per_user - n_test, u))
        cols.append(items[n_test:])
    train = sparse.csr_matrix((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(n_users, n_items))
    return ImplicitData(train, test, user_genre, item_genre, popularity)


def als_step(interactions: sparse.csr_matrix, fixed: np.ndarray, reg: float, alpha: float) -> np.ndarray:
    """Solve for one side's factors with the other side ``fixed`` (implicit ALS).

    For each row ``u`` of ``interactions`` (shape (n_rows, n_fixed)), with
    preference ``p_ui = 1`` where it interacted (0 elsewhere) and confidence
    ``c_ui = 1 + alpha * r_ui``, minimise
    ``sum_i c_ui (p_ui - x_u . y_i)^2 + reg * |x_u|^2``, whose solution is
    ``x_u = (Y^T Y + Y^T (C_u - I) Y + reg I)^{-1} Y^T C_u p_u``. ``Y^T Y`` is
    shared by every row, so each row costs only its own interactions.
    Returns the new factors, shape (n_rows, k).
    """
    if reg < 0 or alpha < 0:
        raise ValueError(f"reg and alpha must be >= 0, got {reg}, {alpha}")
    Y = np.asarray(fixed, dtype=np.float64)  # (n_fixed, k)
    if interactions.shape[1] != Y.shape[0]:
        raise ValueError(f"interactions have {interactions.shape[1]} columns but fixed has {Y.shape[0]} rows")
    n_rows, k = interactions.shape[0], Y.shape[1]
    YtY = Y.T @ Y + reg * np.eye(k)  # (k, k)
    X = np.zeros((n_rows, k))  # rows with no interactions keep the minimiser 0
    R = interactions.tocsr()
    counts = np.diff(R.indptr)
    # Rows with the same number of interactions are solved together, as one batch.
    for n_u in np.unique(counts[counts > 0]):
        rows = np.nonzero(counts == n_u)[0]  # (m,)
        pos = R.indptr[rows][:, None] + np.arange(n_u)  # (m, n_u)
        Yu = Y[R.indices[pos]]  # (m, n_u, k)
        c = 1.0 + alpha * R.data[pos]  # (m, n_u)
        A = YtY + np.matmul(Yu.transpose(0, 2, 1) * (c - 1.0)[:, None, :], Yu)  # (m, k, k)
        b = np.matmul(c[:, None, :], Yu)[:, 0]  # (m, k)  p_ui = 1 on interacted items
        X[rows] = np.linalg.solve(A, b[..., None])[..., 0]
    return X


def implicit_loss(interactions: sparse.csr_matrix, X: np.ndarray, Y: np.ndarray, reg: float, alpha: float,
                  reg_items: bool = True) -> float:
    """The full implicit-ALS objective over every (user, item) pair (small problems only)."""
    R = interactions.toarray()
    P = (R > 0).astype(float)
    C = 1.0 + alpha * R
    loss = float(np.sum(C * (P - X @ Y.T) ** 2)) + reg * float(np.sum(X**2))
    return loss + reg * float(np.sum(Y**2)) if reg_items else loss


def train_als(interactions: sparse.csr_matrix, factors: int, reg: float, alpha: float, iterations: int,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Alternate :func:`als_step` on users and items; returns (user factors, item factors)."""
    n_users, n_items = interactions.shape
    Y = rng.normal(0, 0.01, (n_items, factors))
    X = np.zeros((n_users, factors))
    R_t = interactions.T.tocsr()
    for _ in range(iterations):
        X = als_step(interactions, Y, reg, alpha)
        Y = als_step(R_t, X, reg, alpha)
    return X, Y


def top_k_unseen(scores: np.ndarray, seen: sparse.csr_matrix, k: int) -> np.ndarray:
    """Each row's ``k`` highest-scoring columns that ``seen`` does not mark, best first, shape (n_rows, k)."""
    if scores.shape != seen.shape:
        raise ValueError(f"scores {scores.shape} and seen {seen.shape} must have the same shape")
    scores = np.array(scores, dtype=np.float64)
    rows = np.repeat(np.arange(seen.shape[0]), np.diff(seen.indptr))
    scores[rows, seen.indices] = -np.inf
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]  # (U, k) unordered
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def recommend(X: np.ndarray, Y: np.ndarray, seen: sparse.csr_matrix, k: int) -> np.ndarray:
    """Each user's ``k`` best unseen items by ``x_u . y_i``, best first, shape (n_users, k)."""
    return top_k_unseen(X @ Y.T, seen, k)


def popularity_recommend(seen: sparse.csr_matrix, k: int) -> np.ndarray:
    """The baseline: each user's ``k`` most-interacted-with unseen items, shape (n_users, k)."""
    counts = np.asarray(seen.sum(axis=0)).ravel()
    scores = np.broadcast_to(counts, seen.shape).astype(np.float64)
    return top_k_unseen(scores, seen, k)


def time_top_k(n_items: int, dim: int, k: int, rng: np.random.Generator, repeats: int = 5) -> float:
    """Median seconds for one query to score ``n_items`` float32 vectors and take the top ``k``, on one core.

    BLAS is held to one thread (as in a serving worker that owns one core),
    which also keeps thread wake-ups on a busy machine out of the figure.
    """
    from threadpoolctl import threadpool_limits

    items = rng.standard_normal((n_items, dim), dtype=np.float32)  # (N, d)
    query = rng.standard_normal(dim, dtype=np.float32)  # (d,)
    times = []
    with threadpool_limits(limits=1):
        for _ in range(repeats + 1):
            start = time.perf_counter()
            scores = items @ query  # (N,)
            np.argpartition(-scores, k - 1)[:k]
            times.append(time.perf_counter() - start)
    return float(np.median(times[1:]))
