"""Run an optimiser and its ``torch.optim`` twin side by side and measure how far apart they drift.

Taught in Week 2 (book/week02_linear.md); Lab 2's tests use it too. Both
optimisers start from copies of the same parameters of a small float64
network with a tanh layer (a problem that is not quadratic, so each
optimiser's state matters), take ``steps`` steps, each on its own gradients
from autograd, and after every step the largest absolute difference between
the two sets of parameters is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from aimastery.threads import one_thread


def reference_problem(seed: int = 0) -> tuple[list[torch.Tensor], Callable[[list[torch.Tensor]], torch.Tensor]]:
    """Initial parameters (float64 leaves) and the loss they are trained on.

    A 5-8-3 network with tanh, softmax cross-entropy on 32 fixed random
    examples: W1 (8, 5), b1 (8,), W2 (3, 8), b2 (3,).
    """
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(32, 5, generator=g, dtype=torch.float64)  # (B, 5)
    y = torch.randint(0, 3, (32,), generator=g)  # (B,)
    shapes = [(8, 5), (8,), (3, 8), (3,)]
    params = [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]

    def loss(ps: list[torch.Tensor]) -> torch.Tensor:
        W1, b1, W2, b2 = ps
        logits = torch.tanh(X @ W1.T + b1) @ W2.T + b2  # (B, 3)
        return torch.nn.functional.cross_entropy(logits, y)

    return params, loss


@torch.no_grad()
def _largest_difference(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    """max |a - b| over every entry; inf if any entry of either is not finite."""
    diff = torch.cat([(x - y).abs().flatten() for x, y in zip(a, b)])
    return float(diff.max()) if torch.isfinite(diff).all() else float("inf")


@dataclass(frozen=True)
class Gap:
    gaps: np.ndarray  # (steps,): the largest |ours - theirs| so far, after each step
    travelled: float  # the largest |p_final - p_start| of the torch.optim twin: the steps went somewhere

    @property
    def max(self) -> float:
        return float(self.gaps[-1])


def trajectory_gap(ours: Callable[[list[torch.Tensor]], object],
                   theirs: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
                   steps: int = 100, seed: int = 0) -> Gap:
    """How far ``ours`` drifts from ``theirs``: the largest |ours - theirs| over every entry, step by step.

    ``ours(params)`` and ``theirs(params)`` build the two optimisers, e.g.
    ``lambda ps: SGD(ps, lr=0.1, momentum=0.9)`` and
    ``lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)``. A non-finite
    parameter on either side gives ``inf`` from that step on.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    with one_thread():  # a few dozen numbers: threads would only wait for each other
        return _run_both(ours, theirs, steps, seed)


def _run_both(ours, theirs, steps: int, seed: int) -> Gap:
    start, loss = reference_problem(seed)
    mine = [p.clone().requires_grad_() for p in start]
    twin = [p.clone().requires_grad_() for p in start]
    opt_mine, opt_twin = ours(mine), theirs(twin)
    gaps = np.empty(steps)
    for k in range(steps):
        for opt, ps in ((opt_mine, mine), (opt_twin, twin)):
            opt.zero_grad()
            loss(ps).backward()
            opt.step()
        gaps[k] = _largest_difference(mine, twin)
    travelled = _largest_difference(twin, start)
    # once apart, stay apart: a step where both agree again cannot hide an earlier gap
    return Gap(np.maximum.accumulate(gaps), travelled)
