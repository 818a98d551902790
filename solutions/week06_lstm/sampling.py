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
    ### BEGIN SOLUTION (Task 3)
    ### HINT 1: Greedy decoding takes the most likely token: the largest logit (no softmax needed: it keeps
    ###         the order). On a tie, the lowest id.
    ### HINT 2: np.argmax returns the first index of the maximum, which is the lowest id on a tie. Return a
    ###         Python int, not a NumPy integer.
    ### HINT 3: return int(np.argmax(logits))
    return int(np.argmax(logits))
    ### END SOLUTION


def temperature_probs(logits, temperature: float) -> np.ndarray:
    """softmax(logits / temperature). Raises ValueError unless T > 0, with a
    message that says T must be > 0."""
    ### BEGIN SOLUTION (Task 3)
    ### HINT 1: Temperature divides the logits before the softmax: T < 1 sharpens, T > 1 flattens. Only
    ###         T > 0 makes sense; refuse everything else with a ValueError that says T must be > 0.
    ### HINT 2: Write the check as `not temperature > 0`: it is also true for NaN (every comparison with NaN
    ###         is false), which `temperature <= 0` would let through. Then softmax of the logits / T, in float64.
    ### HINT 3: return softmax(np.asarray(logits, dtype=np.float64) / temperature)
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)
    ### END SOLUTION


def top_k_probs(logits, k: int) -> np.ndarray:
    """Keep exactly the k most likely tokens (ties: the lower id first),
    renormalised; every token when k exceeds the vocabulary. Raises
    ValueError unless k is an integer >= 1, with a message that says k must
    be >= 1."""
    ### BEGIN SOLUTION (Task 4)
    ### HINT 1: Keep exactly the k most likely tokens, the rest at probability 0, then renormalise. Edge
    ###         cases: ties at the k-th place (the lower id wins), k larger than the vocabulary, and a bad k (a
    ###         bool, 2.5 or 0 is not an integer >= 1).
    ### HINT 2: Sort the token ids by probability, descending, with a *stable* sort, so that equal
    ###         probabilities keep the lower id first; the first k ids are kept. Exactly k: a threshold like
    ###         probs >= the k-th value keeps every token tied with it.
    ### HINT 3: keep = np.argsort(-probs, kind="stable")[:k]; a zero array with probs[keep] put back at keep;
    ###         divide by its sum.
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"top-k needs an integer k >= 1, got {k!r}")
    probs = softmax(logits)
    keep = np.argsort(-probs, kind="stable")[:k]
    kept = np.zeros_like(probs)
    kept[keep] = probs[keep]
    return kept / kept.sum()
    ### END SOLUTION


def top_p_probs(logits, p: float) -> np.ndarray:
    """Keep the smallest set of most likely tokens whose probability reaches
    p, renormalised. Raises ValueError unless 0 < p <= 1, with a message
    that says p must lie in (0, 1]."""
    ### BEGIN SOLUTION (Task 5)
    ### HINT 1: Nucleus sampling: the smallest set of the most likely tokens whose total probability reaches
    ###         p; the rest at 0, then renormalise. Refuse p outside (0, 1].
    ### HINT 2: Sort descending (stable). A token is kept while the mass of the tokens *before* it is still
    ###         below p: the token that crosses p is kept too, so at least one token always stays.
    ### HINT 3: mass_before = np.cumsum(sorted_probs) - sorted_probs; keep the ids where mass_before < p
    ###         (a 1e-12 of slack for rounding), every id when p == 1 (a mass before of 1 - 2e-22 rounds
    ###         to 1); zero the rest; divide by the sum.
    if not 0 < p <= 1:
        raise ValueError(f"top-p needs p in (0, 1], got {p}")
    probs = softmax(logits)
    order = np.argsort(-probs, kind="stable")
    mass_before = np.cumsum(probs[order]) - probs[order]
    keep = order if p == 1 else order[mass_before < p - 1e-12]  # p = 1: every token, however unlikely
    kept = np.zeros_like(probs)
    kept[keep] = probs[keep]
    return kept / kept.sum()
    ### END SOLUTION


def sample(probs, rng: np.random.Generator) -> int:
    """Draw one id from a probability vector with a seeded generator."""
    return int(rng.choice(len(probs), p=probs))
