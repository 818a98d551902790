"""The NumPy MLP's twin in PyTorch: same layers, same weights, same steps.

Taught in Week 4 (book/week04_mlp.md), where both are trained identically
(same initial weights, same batches in the same order, same learning rates)
and compared in accuracy and in speed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from aimastery.mlp.layers import Linear, ReLU, Sigmoid
from aimastery.mlp.train import Scores


def to_torch(model) -> nn.Sequential:
    """The same layers as an ``nn.Sequential``, weights copied."""
    modules = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            n_out, n_in = layer.weight.shape
            dtype = torch.from_numpy(layer.weight).dtype
            modules.append(nn.Linear(n_in, n_out, dtype=dtype))
        elif isinstance(layer, (ReLU, Sigmoid)):
            modules.append(nn.ReLU() if isinstance(layer, ReLU)
                           else nn.Sigmoid())
        else:
            raise TypeError(f"cannot copy a {type(layer).__name__}")
    net = nn.Sequential(*modules)
    net.load_state_dict({name: torch.from_numpy(value.copy())
                         for name, value in model.state_dict().items()})
    return net


def train_epoch(net, optimizer, X, y, order, batch_size) -> Scores:
    """One pass in ``order``, as ``aimastery.mlp.train.train_epoch``."""
    net.train()
    loss_fn = nn.CrossEntropyLoss()
    order = torch.from_numpy(order)
    total_loss = torch.zeros((), dtype=torch.float64)
    correct = torch.zeros((), dtype=torch.int64)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        xb, yb = X[idx], y[idx]  # (B, D), (B,)
        logits = net(xb)  # (B, C)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():  # summed as tensors: no sync per step
            total_loss += loss * len(idx)
            correct += (logits.argmax(dim=1) == yb).sum()
    n = len(order)
    return Scores(float(total_loss) / n, int(correct) / n)


@torch.no_grad()
def _logits(net, X, batch_size):
    net.eval()
    return torch.cat([net(X[i:i + batch_size])
                      for i in range(0, len(X), batch_size)])


def predict_proba(net, X, batch_size=2000) -> np.ndarray:
    """Softmax probabilities (N, C) of ``net`` on X (N, D), as NumPy."""
    return torch.softmax(_logits(net, X, batch_size), dim=1).numpy()


def evaluate(net, X, y, batch_size=2000) -> Scores:
    logits = _logits(net, X, batch_size)
    loss = nn.functional.cross_entropy(logits, y)
    accuracy = (logits.argmax(dim=1) == y).double().mean()
    return Scores(float(loss), float(accuracy))
