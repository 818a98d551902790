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
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: log softmax(z) = z - log(sum(exp(z))), row by row, written so that exp never overflows:
    ###         the chapter's log-sum-exp trick (Week 2, "Softmax regression: many classes"). Shapes: logits (B, C) in, (B, C) out.
    ### HINT 2: Subtract each row's own maximum first: log softmax does not change when a constant is
    ###         subtracted from a row, and then the largest exponent is exp(0) = 1. Keep the (B, 1) shape of the
    ###         row statistics (keepdims=True) so they broadcast over the C columns.
    ### HINT 3: shifted = logits - logits.max(axis=1, keepdims=True);
    ###         return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    shifted = logits - logits.max(axis=1, keepdims=True)  # (B, C), each row's max is 0
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    ### END SOLUTION


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """The mean over the batch of -log softmax(logits)[i, y[i]], as a Python float."""
    check_logits_and_labels(logits, y)
    ### BEGIN SOLUTION (Task 1)
    ### HINT 1: The loss of row i is -log softmax(logits)[i, y[i]]: minus the log-probability of its true
    ###         class. The cross-entropy is the mean over the batch, as a Python float.
    ### HINT 2: Use your log_softmax (never log(softmax): a probability that underflows to 0 gives -inf).
    ###         Pick one entry per row with two index arrays: the rows 0..B-1 and the labels y.
    ### HINT 3: float(-log_softmax(logits)[np.arange(len(y)), y].mean())
    return float(-log_softmax(logits)[np.arange(len(y)), y].mean())
    ### END SOLUTION


def cross_entropy_grad(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d cross_entropy / d logits, shape (B, C): (softmax(logits) - onehot(y)) / B."""
    check_logits_and_labels(logits, y)
    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: The chapter's result: d(mean cross-entropy)/d logits = (softmax(logits) - onehot(y)) / B,
    ###         shape (B, C). Mind the 1/B: the loss is a mean over the batch.
    ### HINT 2: Compute the softmax stably as np.exp(log_softmax(logits)); subtracting the one-hot labels is
    ###         subtracting 1 at one entry per row (row i, column y[i]), with no one-hot matrix needed.
    ### HINT 3: grad = np.exp(log_softmax(logits)); grad[np.arange(len(y)), y] -= 1; return grad / len(y)
    grad = np.exp(log_softmax(logits))  # (B, C), the softmax
    grad[np.arange(len(y)), y] -= 1  # minus the one-hot labels
    return grad / len(y)  # the loss is a mean over the batch
    ### END SOLUTION
