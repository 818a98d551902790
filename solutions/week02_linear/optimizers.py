"""Lab 2, part 2 — SGD with momentum, and Adam with its bias correction, as torch.optim has them.

Taught in Week 2 (book/week02_linear.md). Each optimiser subclasses the
course's :class:`aimastery.optim.Optimizer`, which keeps ``self.params``
and ``self.lr`` and, at every ``step()``, calls ``update(p, grad, state)``
for each parameter ``p`` that has a gradient, under ``torch.no_grad()``.
``state`` is that parameter's own dictionary, empty at its first step and
kept from step to step: the place for a momentum buffer or Adam's running
averages. ``update`` must change ``p`` **in place** (``p -= ...``,
``p.mul_(...)``): the model holds that very tensor.

The tests run your optimisers and ``torch.optim``'s side by side for 100
steps and expect the same parameters after every step.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from aimastery.optim import Optimizer
from aimastery.optim.base import check_hyper


class SGD(Optimizer):
    """As ``torch.optim.SGD`` (without dampening), for a gradient g at each step:

        g <- g + weight_decay * p                      (if weight_decay)
        v <- g at the first step, then momentum * v + g (if momentum)
        g <- g + momentum * v if nesterov, else v       (if momentum)
        p <- p - lr * g
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr)
        self.momentum = check_hyper("momentum", momentum, 0.0, 1.0)
        self.weight_decay = check_hyper("weight_decay", weight_decay, 0.0)
        if nesterov and not self.momentum:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.nesterov = nesterov

    def update(self, p: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        ### BEGIN SOLUTION: add weight_decay * p to grad; keep the velocity in state["momentum_buffer"] (a clone of grad at the first step, then momentum * v + grad, updated BEFORE it is used); step along grad + momentum * v (Nesterov) or v; then p -= lr * step, in place
        if self.weight_decay:
            grad = grad + self.weight_decay * p  # L2: the gradient of (wd / 2) |p|^2
        if self.momentum:
            if "momentum_buffer" not in state:  # the first step: v = g
                state["momentum_buffer"] = grad.clone()
            else:  # v <- momentum * v + g, in place
                state["momentum_buffer"].mul_(self.momentum).add_(grad)
            v = state["momentum_buffer"]
            grad = grad + self.momentum * v if self.nesterov else v
        p -= self.lr * grad  # in place: the model holds this tensor
        ### END SOLUTION


class Adam(Optimizer):
    """As ``torch.optim.Adam``, for a gradient g at each step t = 1, 2, ... of this parameter:

        g <- g + weight_decay * p                       (L2, if weight_decay)
        m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2   (both start at 0)
        m_hat = m / (1 - beta1^t),      v_hat = v / (1 - beta2^t)        (bias correction)
        p <- p - lr m_hat / (sqrt(v_hat) + eps)

    AdamW (``decoupled = True``) leaves g alone and shrinks p instead, before
    the step: p <- p (1 - lr weight_decay).
    """

    decoupled = False

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.betas = (check_hyper("beta1", betas[0], 0.0, 1.0), check_hyper("beta2", betas[1], 0.0, 1.0))
        self.eps = check_hyper("eps", eps, 0.0, include_low=False)
        self.weight_decay = check_hyper("weight_decay", weight_decay, 0.0)

    def update(self, p: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        ### BEGIN SOLUTION: at this parameter's first step put step = 0 and zero tensors m, v in state; count the step (t = 1 at the first); weight decay (AdamW: p *= 1 - lr * wd; Adam: grad + wd * p); update m and v in place; divide each by (1 - beta ** t); p -= lr * m_hat / (sqrt(v_hat) + eps)
        if not state:  # this parameter's first step
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)  # m, the running mean of g
            state["exp_avg_sq"] = torch.zeros_like(p)  # v, the running mean of g^2
        state["step"] += 1  # each parameter counts its own steps
        t = state["step"]
        beta1, beta2 = self.betas
        if self.weight_decay and self.decoupled:  # AdamW: shrink p itself
            p *= 1 - self.lr * self.weight_decay
        elif self.weight_decay:  # Adam: L2, through the gradient
            grad = grad + self.weight_decay * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.mul_(beta1).add_((1 - beta1) * grad)
        v.mul_(beta2).add_((1 - beta2) * grad * grad)
        m_hat = m / (1 - beta1 ** t)  # m and v start at 0: early on they are too small
        v_hat = v / (1 - beta2 ** t)
        p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
        ### END SOLUTION


class AdamW(Adam):
    """As ``torch.optim.AdamW``: Adam with decoupled weight decay (default 0.01)."""

    decoupled = True

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
