"""Lab 6, part 2 — choosing the next token from logits.

Every function takes logits as a NumPy array of shape (V,) (the last axis
is the vocabulary) and returns a token id or a probability vector of shape
(V,). Taught in Week 6 (book/week06_sequences.md); the course's own version
is ``aimastery.sampling``.
"""

from __future__ import annotations

import numpy as np


def softmax(z) -> np.ndarray:
    """exp(z) / sum(exp(z)) over the last axis, with each row's max subtracted first (no overflow)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def greedy(logits) -> int:
    """The id of the most likely token (the lowest id on a tie)."""
    # TODO: Greedy decoding takes the most likely token: the largest logit (no softmax needed: it keeps
    #       the order). On a tie, the lowest id.
    # Stuck? One more hint at a time: make lab-check WEEK=06 HINT=2 (in the notebook: check(3, hint=2))
    raise NotImplementedError('Lab 6 · greedy in sampling.py: not implemented yet (the TODO just above says what to write)')


def temperature_probs(logits, temperature: float) -> np.ndarray:
    """softmax(logits / temperature). Raises ValueError unless T > 0, with a
    message that says T must be > 0."""
    # TODO: Temperature divides the logits before the softmax: T < 1 sharpens, T > 1 flattens. Only
    #       T > 0 makes sense; refuse everything else with a ValueError that says T must be > 0.
    # Stuck? One more hint at a time: make lab-check WEEK=06 HINT=2 (in the notebook: check(3, hint=2))
    raise NotImplementedError('Lab 6 · temperature_probs in sampling.py: not implemented yet (the TODO just above says what to write)')


def top_k_probs(logits, k: int) -> np.ndarray:
    """Keep exactly the k most likely tokens (ties: the lower id first),
    renormalised; every token when k exceeds the vocabulary. Raises
    ValueError unless k is an integer >= 1, with a message that says k must
    be >= 1."""
    # TODO: Keep exactly the k most likely tokens, the rest at probability 0, then renormalise. Edge
    #       cases: ties at the k-th place (the lower id wins), k larger than the vocabulary, and a bad k (a
    #       bool, 2.5 or 0 is not an integer >= 1).
    # Stuck? One more hint at a time: make lab-check WEEK=06 HINT=2 (in the notebook: check(4, hint=2))
    raise NotImplementedError('Lab 6 · top_k_probs in sampling.py: not implemented yet (the TODO just above says what to write)')


def top_p_probs(logits, p: float) -> np.ndarray:
    """Keep the smallest set of most likely tokens whose probability reaches
    p, renormalised. Raises ValueError unless 0 < p <= 1, with a message
    that says p must lie in (0, 1]."""
    # TODO: Nucleus sampling: the smallest set of the most likely tokens whose total probability reaches
    #       p; the rest at 0, then renormalise. Refuse p outside (0, 1].
    # Stuck? One more hint at a time: make lab-check WEEK=06 HINT=2 (in the notebook: check(5, hint=2))
    raise NotImplementedError('Lab 6 · top_p_probs in sampling.py: not implemented yet (the TODO just above says what to write)')


def sample(probs, rng: np.random.Generator) -> int:
    """Draw one id from a probability vector with a seeded generator."""
    return int(rng.choice(len(probs), p=probs))
