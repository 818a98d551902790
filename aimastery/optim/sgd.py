"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

Taught in Week 2 (book/week02_linear.md). The same rule as ``torch.optim.SGD``:

    g <- grad + weight_decay * p
    v <- g at the first step, then momentum * v + (1 - dampening) * g
    d <- g + momentum * v (Nesterov) or v (heavy ball) or g (no momentum)
    p <- p - lr * d
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from aimastery.optim.base import Optimizer, check_hyper


class SGD(Optimizer):
    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr)
        self.momentum = check_hyper("momentum", momentum, 0.0, 1.0)
        self.dampening = check_hyper("dampening", dampening, 0.0, 1.0)
        self.weight_decay = check_hyper("weight_decay", weight_decay, 0.0)
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0, "
                             f"got momentum={momentum}, dampening={dampening}")
        self.nesterov = nesterov

    def update(self, p, grad, state):
        if self.weight_decay:
            grad = grad.add(p, alpha=self.weight_decay)  # L2: the gradient of wd/2 |p|^2
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.clone()
            else:
                state["momentum_buffer"].mul_(self.momentum).add_(grad, alpha=1 - self.dampening)
            v = state["momentum_buffer"]
            grad = grad.add(v, alpha=self.momentum) if self.nesterov else v
        p.add_(grad, alpha=-self.lr)
