"""Choosing the next token from a model's logits: greedy, temperature, top-k, top-p.

Taught in Week 6 (book/week06_sequences.md); Week 8's GPT samples with it.

Every function is pure: logits in (a NumPy array whose last axis is the
vocabulary, shape ``(..., V)``), probabilities or token ids out. Randomness
comes only from the ``numpy.random.Generator`` passed to :func:`sample`, so a
seeded generator gives the same text every time. The order is the one
Hugging Face's ``generate`` uses: temperature first, then top-k, then top-p
on the tempered distribution.
"""

from __future__ import annotations

import numpy as np


def softmax(logits, axis: int = -1) -> np.ndarray:
    """exp(z) / sum(exp(z)), computed stably (the max is subtracted first)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def _check_temperature(temperature: float) -> None:
    if not temperature > 0:  # also refuses NaN
        raise ValueError(f"temperature must be > 0, got {temperature} "
                         f"(use greedy() for the T -> 0 limit)")


def greedy(logits) -> np.ndarray | int:
    """The most likely token: argmax over the last axis (the first on ties)."""
    ids = np.argmax(np.asarray(logits), axis=-1)
    return int(ids) if ids.ndim == 0 else ids


def temperature_probs(logits, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / T): T < 1 sharpens the distribution, T > 1 flattens it.

    As T -> 0 all the mass goes to the argmax (greedy); T must be > 0.
    """
    _check_temperature(temperature)
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def _keep_top_k(probs: np.ndarray, k: int) -> np.ndarray:
    """A mask of the ``k`` most likely tokens (ties: the lower id wins)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"top-k needs an integer k >= 1, got {k!r}")
    order = np.argsort(-probs, axis=-1, kind="stable")  # most likely first
    keep = np.zeros(probs.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :min(int(k), probs.shape[-1])], True,
                      axis=-1)
    return keep


def _keep_top_p(probs: np.ndarray, p: float) -> np.ndarray:
    """A mask of the smallest most-likely set whose mass reaches ``p``."""
    if not 0 < p <= 1:  # also refuses NaN
        raise ValueError(f"top-p needs p in (0, 1], got {p}")
    order = np.argsort(-probs, axis=-1, kind="stable")  # most likely first
    sorted_probs = np.take_along_axis(probs, order, axis=-1)
    mass_before = np.cumsum(sorted_probs, axis=-1) - sorted_probs
    keep = np.zeros(probs.shape, dtype=bool)  # the first is always kept:
    np.put_along_axis(keep, order, mass_before < p - 1e-12, axis=-1)
    return keep & (probs > 0)


def _renormalise(probs: np.ndarray, keep: np.ndarray) -> np.ndarray:
    kept = np.where(keep, probs, 0.0)
    return kept / kept.sum(axis=-1, keepdims=True)


def top_k_probs(logits, k: int, temperature: float = 1.0) -> np.ndarray:
    """Keep exactly the ``k`` most likely tokens, renormalised; k >= 1.

    Ties at the k-th place go to the lower token id, so exactly
    ``min(k, V)`` tokens keep a non-zero probability.
    """
    probs = temperature_probs(logits, temperature)
    return _renormalise(probs, _keep_top_k(probs, k))


def top_p_probs(logits, p: float, temperature: float = 1.0) -> np.ndarray:
    """Nucleus sampling's distribution: the smallest set of most likely
    tokens whose probability reaches ``p``, renormalised; p in (0, 1].

    p = 1 keeps every token; a small p keeps only the most likely one.
    """
    probs = temperature_probs(logits, temperature)
    return _renormalise(probs, _keep_top_p(probs, p))


def next_token_probs(logits, temperature: float = 1.0,
                     top_k: int | None = None, top_p: float | None = None
                     ) -> np.ndarray:
    """The distribution :func:`sample` draws from: temperature, then top-k,
    then top-p on what is left (``None`` switches a filter off)."""
    probs = temperature_probs(logits, temperature)
    if top_k is not None:
        probs = _renormalise(probs, _keep_top_k(probs, top_k))
    if top_p is not None:
        probs = _renormalise(probs, _keep_top_p(probs, top_p))
    return probs


def sample(logits, rng: np.random.Generator, temperature: float = 1.0,
           top_k: int | None = None, top_p: float | None = None
           ) -> np.ndarray | int:
    """Draw one token id per row of ``logits`` with the seeded ``rng``.

    Uses inverse-CDF sampling (one uniform number per row), so the same
    generator state gives the same tokens.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("sample needs a numpy.random.Generator "
                        "(np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    probs = next_token_probs(logits, temperature, top_k, top_p)
    cdf = np.cumsum(probs, axis=-1)
    u = rng.random(probs.shape[:-1] + (1,)) * cdf[..., -1:]
    ids = np.minimum(np.sum(cdf <= u, axis=-1), probs.shape[-1] - 1)
    # a zero-probability token can never be drawn, even at the float edge
    ids = np.where(np.take_along_axis(probs, ids[..., None], -1)[..., 0] > 0,
                   ids, np.argmax(probs, axis=-1))
    return int(ids) if ids.ndim == 0 else ids


def entropy(probs, axis: int = -1) -> np.ndarray | float:
    """Shannon entropy in nats, -sum p log p (0 log 0 = 0)."""
    p = np.asarray(probs, dtype=np.float64)
    h = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0),
                axis=axis)
    return float(h) if np.ndim(h) == 0 else h
