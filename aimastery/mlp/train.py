"""Training and evaluating the NumPy MLP: one epoch of mini-batch SGD, and a scored pass.

Taught in Week 4 (book/week04_mlp.md); :mod:`aimastery.mlp.torch_twin` has
the same two functions for the PyTorch twin, step for step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aimastery.mlp.layers import Buffers, SoftmaxCrossEntropy
from aimastery.mlp.model import MLP, SGD


@dataclass(frozen=True)
class Scores:
    loss: float  # mean cross-entropy
    accuracy: float  # fraction correct


def cosine_lr(lr: float, epoch: int, epochs: int) -> float:
    """The learning rate of ``epoch`` (0-based): ``lr`` at first, decaying to 0 on a half cosine."""
    return 0.5 * lr * (1 + math.cos(math.pi * epoch / epochs))


def batch_order(n: int, epoch: int, seed: int) -> np.ndarray:
    """The shuffled example order of one epoch: the same for every implementation given the seed."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def train_epoch(model: MLP, optimizer: SGD, X: np.ndarray, y: np.ndarray, order: np.ndarray,
                batch_size: int, loss_fn: SoftmaxCrossEntropy | None = None,
                buffers: Buffers | None = None) -> Scores:
    """One pass over ``X`` (N, D) in the given order; returns the running training loss and accuracy.

    Pass the same ``loss_fn`` and ``buffers`` from epoch to epoch to reuse their arrays.
    """
    loss_fn = loss_fn or SoftmaxCrossEntropy()
    buffers = buffers or Buffers()
    total_loss, correct = 0.0, 0
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        xb = np.take(X, idx, axis=0, out=buffers.get("xb", (len(idx), X.shape[1]), X.dtype))  # (B, D)
        yb = np.take(y, idx, out=buffers.get("yb", (len(idx),), y.dtype))  # (B,)
        logits = model.forward(xb)  # (B, C)
        loss = loss_fn.forward(logits, yb)
        model.backward(loss_fn.backward())
        optimizer.step()
        total_loss += loss * len(idx)
        correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
    return Scores(total_loss / len(order), correct / len(order))


def predict_proba(model: MLP, X: np.ndarray, batch_size: int = 2000) -> np.ndarray:
    """Softmax probabilities (N, C) of the model on ``X`` (N, D), computed batch by batch."""
    return _scored_pass(model, X, np.zeros(len(X), dtype=np.int64), batch_size)[0]


def evaluate(model: MLP, X: np.ndarray, y: np.ndarray, batch_size: int = 2000) -> Scores:
    """Mean cross-entropy and accuracy of ``model`` on ``X`` (N, D), ``y`` (N,)."""
    probs, loss = _scored_pass(model, X, y, batch_size)
    return Scores(loss, float(np.mean(probs.argmax(axis=1) == y)))


def _scored_pass(model: MLP, X: np.ndarray, y: np.ndarray, batch_size: int) -> tuple[np.ndarray, float]:
    loss_fn = SoftmaxCrossEntropy()
    probs = np.empty((len(X), model.sizes[-1]), dtype=X.dtype)  # (N, C)
    total = 0.0
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        total += loss_fn.forward(model.forward(xb), yb) * len(xb)  # log-sum-exp: exact even when p is tiny
        probs[start:start + len(xb)] = loss_fn.probs
    return probs, total / max(len(X), 1)
