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
        # TODO: torch.optim.SGD's update, in its order: weight decay into the gradient, then the momentum
        #       buffer, then (Nesterov) the look-ahead, then the step. The tests compare with torch.optim.SGD step
        #       by step, so the order and the first step matter.
        # Stuck? One more hint at a time: make lab-check WEEK=02 HINT=2 (in the notebook: check(3, hint=2))
        raise NotImplementedError('Lab 2 · SGD.update in optimizers.py: not implemented yet (the TODO just above says what to write)')


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
        # TODO: Adam as Week 2 writes it ("Optimisers with the torch.optim interface"): running means m of g and v of g**2, each
        #       corrected for starting at 0 by dividing by 1 - beta**t, and the step lr * m_hat / (sqrt(v_hat) + eps).
        #       Two ways of weight decay: Adam adds wd * p to the gradient, AdamW shrinks p itself.
        # Stuck? One more hint at a time: make lab-check WEEK=02 HINT=2 (in the notebook: check(4, hint=2))
        raise NotImplementedError('Lab 2 · Adam.update in optimizers.py: not implemented yet (the TODO just above says what to write)')


class AdamW(Adam):
    """As ``torch.optim.AdamW``: Adam with decoupled weight decay (default 0.01)."""

    decoupled = True

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
