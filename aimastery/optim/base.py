"""The interface every optimiser of the course shares: ``torch.optim``'s,
without parameter groups.

Taught in Week 2 (book/week02_linear.md), which shows this class and
writes plain SGD on top of it (lines kept short: the page shows them).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable

import torch


def check_hyper(name: str, value: float, low: float, high: float = math.inf,
                *, include_low: bool = True) -> float:
    """``value`` if it lies in [low, high) (or (low, high)); else a
    ``ValueError`` that names it and the range."""
    ok = (low <= value if include_low else low < value) and value < high
    if not (isinstance(value, (int, float)) and ok):
        bracket = "[" if include_low else "("
        raise ValueError(
            f"{name} must be in {bracket}{low}, {high}), got {value!r}")
    return float(value)


class Optimizer:
    """Keeps the parameters and their state; subclasses write ``update``.

    ``params`` are tensors (e.g. ``model.parameters()``). ``step()`` calls
    ``update(p, grad, state)`` for each one that has a gradient, under
    ``torch.no_grad()``; ``state`` is that parameter's own dict.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float):
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimiser got an empty list of parameters")
        for i, p in enumerate(self.params):
            if not isinstance(p, torch.Tensor):
                raise TypeError(f"parameters must be torch tensors; "
                                f"parameter {i} is a {type(p).__name__}")
        self.lr = check_hyper("lr", lr, 0.0, include_low=False)
        # per-parameter state, keyed by the tensor as in torch.optim
        self.state: dict[torch.Tensor, dict] = defaultdict(dict)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every gradient: None (torch.optim's default) or zeros."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.detach_().zero_()

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        """Update every parameter that has a gradient; return the loss
        of ``closure()`` if one was given (it recomputes the loss)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for p in self.params:
            if p.grad is not None:
                self.update(p, p.grad, self.state[p])
        return loss

    def update(self, p: torch.Tensor, grad: torch.Tensor,
               state: dict) -> None:
        """Change ``p`` in place, given its gradient and its state."""
        raise NotImplementedError(
            f"{type(self).__name__} must define update(p, grad, state)")
