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
from aimastery.mlp.model import MLP
from aimastery.mlp.train import Scores


def to_torch(model: MLP) -> nn.Sequential:
    """An ``nn.Sequential`` with the same layers as ``model`` and a copy of its weights."""
    modules: list[nn.Module] = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            n_out, n_in = layer.weight.shape
            modules.append(nn.Linear(n_in, n_out, dtype=torch.from_numpy(layer.weight).dtype))
        elif isinstance(layer, ReLU):
            modules.append(nn.ReLU())
        elif isinstance(layer, Sigmoid):
            modules.append(nn.Sigmoid())
        else:
            raise TypeError(f"to_torch does not know the layer {type(layer).__name__}")
    net = nn.Sequential(*modules)
    net.load_state_dict({name: torch.from_numpy(value.copy()) for name, value in model.state_dict().items()})
    return net


def train_epoch(net: nn.Sequential, optimizer: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor,
                order: np.ndarray, batch_size: int) -> Scores:
    """One pass in the given order, as :func:`aimastery.mlp.train.train_epoch` does it."""
    net.train()
    loss_fn = nn.CrossEntropyLoss()
    order_t = torch.from_numpy(order)
    total_loss = torch.zeros((), dtype=torch.float64)
    correct = torch.zeros((), dtype=torch.int64)
    for start in range(0, len(order), batch_size):
        idx = order_t[start:start + batch_size]
        xb, yb = X[idx], y[idx]  # (B, D), (B,)
        logits = net(xb)  # (B, C)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():  # accumulate without a sync per step
            total_loss += loss.detach() * len(idx)
            correct += (logits.argmax(dim=1) == yb).sum()
    return Scores(float(total_loss) / len(order), int(correct) / len(order))


@torch.no_grad()
def predict_proba(net: nn.Sequential, X: torch.Tensor, batch_size: int = 2000) -> np.ndarray:
    net.eval()
    return torch.cat([torch.softmax(net(X[i:i + batch_size]), dim=1) for i in range(0, len(X), batch_size)]).numpy()


@torch.no_grad()
def evaluate(net: nn.Sequential, X: torch.Tensor, y: torch.Tensor, batch_size: int = 2000) -> Scores:
    net.eval()
    logits = torch.cat([net(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])
    loss = nn.functional.cross_entropy(logits, y)
    return Scores(float(loss), float((logits.argmax(dim=1) == y).float().mean()))
