"""Training and scoring the NumPy MLP: one epoch of SGD, and evaluation.

Taught in Week 4 (book/week04_mlp.md); :mod:`aimastery.mlp.torch_twin` has
the same functions for the PyTorch twin, step for step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aimastery.mlp.layers import Buffers, SoftmaxCrossEntropy


@dataclass(frozen=True)
class Scores:
    loss: float  # mean cross-entropy
    accuracy: float  # fraction correct


def cosine_lr(lr: float, epoch: int, epochs: int) -> float:
    """The learning rate of 0-based ``epoch``: ``lr``, decaying on a cosine."""
    return 0.5 * lr * (1 + math.cos(math.pi * epoch / epochs))


def batch_order(n: int, epoch: int, seed: int) -> np.ndarray:
    """One epoch's shuffled order of ``n`` examples, the same for everyone."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def train_epoch(model, optimizer, X, y, order, batch_size,
                loss_fn=None, buffers=None) -> Scores:
    """One pass over X (N, D), y (N,) in ``order``; returns the running
    loss and accuracy over the epoch's batches.

    Pass the same ``loss_fn`` and ``buffers`` every epoch to reuse arrays.
    """
    loss_fn = loss_fn or SoftmaxCrossEntropy()
    buffers = buffers or Buffers()
    total_loss, correct = 0.0, 0
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        B = len(idx)
        xb = buffers.get("xb", (B, X.shape[1]), X.dtype)
        np.take(X, idx, axis=0, out=xb)  # (B, D), the batch
        yb = np.take(y, idx, out=buffers.get("yb", (B,), y.dtype))
        logits = model.forward(xb)  # (B, C)
        loss = loss_fn.forward(logits, yb)
        model.backward(loss_fn.backward())
        optimizer.step()
        total_loss += loss * B
        correct += np.count_nonzero(logits.argmax(axis=1) == yb)
    return Scores(total_loss / len(order), int(correct) / len(order))


def predict_proba(model, X, batch_size=2000) -> np.ndarray:
    """Softmax probabilities (N, C) of ``model`` on X (N, D)."""
    return _scored_pass(model, X, np.zeros(len(X), int), batch_size)[0]


def evaluate(model, X, y, batch_size=2000) -> Scores:
    """Mean cross-entropy and accuracy of ``model`` on X (N, D), y (N,)."""
    probs, loss = _scored_pass(model, X, y, batch_size)
    return Scores(loss, float(np.mean(probs.argmax(axis=1) == y)))


def _scored_pass(model, X, y, batch_size):
    loss_fn = SoftmaxCrossEntropy()
    probs = np.empty((len(X), model.sizes[-1]), dtype=X.dtype)  # (N, C)
    total = 0.0
    for start in range(0, len(X), batch_size):
        end = start + batch_size
        loss = loss_fn.forward(model.forward(X[start:end]), y[start:end])
        total += loss * len(y[start:end])  # exact even where p is tiny
        probs[start:end] = loss_fn.probs
    return probs, total / max(len(X), 1)
