"""Optimisers that scale each coordinate by its own gradient history: RMSProp, Adam, AdamW.

Taught in Week 2 (book/week02_linear.md). The same rules as ``torch.optim``'s
``RMSprop``, ``Adam`` and ``AdamW``. With g the gradient (plus
``weight_decay * p`` except in AdamW) and t the step, from 1:

    RMSProp:  s <- alpha s + (1 - alpha) g^2;   p <- p - lr g / (sqrt(s) + eps)
    Adam:     m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
              p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    AdamW:    Adam on the bare gradient, and p <- p (1 - lr weight_decay) first
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from aimastery.optim.base import Optimizer, check_hyper


class RMSprop(Optimizer):
    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False):
        super().__init__(params, lr)
        self.alpha = check_hyper("alpha", alpha, 0.0, 1.0)
        self.eps = check_hyper("eps", eps, 0.0, include_low=False)
        self.weight_decay = check_hyper("weight_decay", weight_decay, 0.0)
        self.momentum = check_hyper("momentum", momentum, 0.0, 1.0)
        self.centered = centered

    def update(self, p, grad, state):
        if self.weight_decay:
            grad = grad.add(p, alpha=self.weight_decay)
        if not state:
            state["square_avg"] = torch.zeros_like(p)
            if self.centered:
                state["grad_avg"] = torch.zeros_like(p)
            if self.momentum:
                state["momentum_buffer"] = torch.zeros_like(p)
        square_avg = state["square_avg"]
        square_avg.mul_(self.alpha).addcmul_(grad, grad, value=1 - self.alpha)
        if self.centered:  # divide by the standard deviation instead of the root mean square
            state["grad_avg"].lerp_(grad, 1 - self.alpha)
            avg = square_avg.addcmul(state["grad_avg"], state["grad_avg"], value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg.add_(self.eps)
        if self.momentum:
            buf = state["momentum_buffer"]
            buf.mul_(self.momentum).addcdiv_(grad, avg)
            p.add_(buf, alpha=-self.lr)
        else:
            p.addcdiv_(grad, avg, value=-self.lr)


class Adam(Optimizer):
    decoupled = False  # AdamW: weight decay shrinks p directly instead of joining the gradient

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas is a pair (beta1, beta2), got {betas!r}")
        self.betas = (check_hyper("beta1", betas[0], 0.0, 1.0), check_hyper("beta2", betas[1], 0.0, 1.0))
        self.eps = check_hyper("eps", eps, 0.0, include_low=False)
        self.weight_decay = check_hyper("weight_decay", weight_decay, 0.0)

    def update(self, p, grad, state):
        beta1, beta2 = self.betas
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)  # m, the mean of the gradients
            state["exp_avg_sq"] = torch.zeros_like(p)  # v, the mean of their squares
        state["step"] += 1  # each parameter counts its own steps
        t = state["step"]
        if self.weight_decay:
            if self.decoupled:
                p.mul_(1 - self.lr * self.weight_decay)
            else:
                grad = grad.add(p, alpha=self.weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        # bias correction: m and v start at 0, so early on they underestimate by 1 - beta^t
        step_size = self.lr / (1 - beta1 ** t)
        denom = (v.sqrt() / (1 - beta2 ** t) ** 0.5).add_(self.eps)
        p.addcdiv_(m, denom, value=-step_size)


class AdamW(Adam):
    decoupled = True

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
