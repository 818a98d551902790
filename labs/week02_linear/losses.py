"""Lab 2, part 1 — the softmax cross-entropy loss and its gradient, without overflow.

Taught in Week 2 (book/week02_linear.md). Your tasks are the regions that
raise ``NotImplementedError``; ``make lab-check WEEK=02`` tells you how far
you are.

Shapes: a batch of B examples, C classes. ``logits`` is a float array
(B, C), ``y`` an integer array (B,) of classes in 0..C-1. The loss is the
mean over the batch of -log softmax(logits)[i, y[i]], as
``torch.nn.functional.cross_entropy`` computes it.
"""

from __future__ import annotations

import numpy as np


def check_logits_and_labels(logits: np.ndarray, y: np.ndarray) -> None:
    """Raise ``ValueError`` naming the problem when ``logits`` (B, C) and ``y`` (B,) do not fit together."""
    if logits.ndim != 2:
        raise ValueError(f"logits must be a (B, C) array, got shape {logits.shape}")
    B, C = logits.shape
    if y.shape != (B,):
        raise ValueError(f"logits {logits.shape} need labels of shape ({B},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be integers (class numbers), got dtype {y.dtype}")
    if B and not 0 <= y.min() <= y.max() < C:
        raise ValueError(f"labels must be classes 0..{C - 1}, got values from {y.min()} to {y.max()}")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log softmax of each row of ``logits`` (B, C), finite for any finite logits: (B, C).

    log softmax(z)_c = z_c - log(sum_j exp(z_j)). Computed as written,
    exp overflows for logits above about 709 (float64); shift each row
    first (the log-sum-exp trick).
    """
    # TODO: log softmax(z) = z - log(sum(exp(z))), row by row, written so that exp never overflows:
    #       the chapter's log-sum-exp trick (Week 2, "Softmax regression: many classes"). Shapes: logits (B, C) in, (B, C) out.
    # Stuck? One more hint at a time: make lab-check WEEK=02 HINT=2 (in the notebook: check(1, hint=2))
    raise NotImplementedError('Lab 2 · log_softmax in losses.py: not implemented yet (the TODO just above says what to write)')


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """The mean over the batch of -log softmax(logits)[i, y[i]], as a Python float."""
    check_logits_and_labels(logits, y)
    # TODO: The loss of row i is -log softmax(logits)[i, y[i]]: minus the log-probability of its true
    #       class. The cross-entropy is the mean over the batch, as a Python float.
    # Stuck? One more hint at a time: make lab-check WEEK=02 HINT=2 (in the notebook: check(1, hint=2))
    raise NotImplementedError('Lab 2 · cross_entropy in losses.py: not implemented yet (the TODO just above says what to write)')


def cross_entropy_grad(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d cross_entropy / d logits, shape (B, C): (softmax(logits) - onehot(y)) / B."""
    check_logits_and_labels(logits, y)
    # TODO: The chapter's result: d(mean cross-entropy)/d logits = (softmax(logits) - onehot(y)) / B,
    #       shape (B, C). Mind the 1/B: the loss is a mean over the batch.
    # Stuck? One more hint at a time: make lab-check WEEK=02 HINT=2 (in the notebook: check(2, hint=2))
    raise NotImplementedError('Lab 2 · cross_entropy_grad in losses.py: not implemented yet (the TODO just above says what to write)')
