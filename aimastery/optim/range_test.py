"""The learning-rate range test: raise the learning rate every step and watch the loss.

Taught in Week 2 (book/week02_linear.md), after Smith (2017). Training
starts with a tiny learning rate that grows geometrically, one mini-batch
per value; the loss first barely moves, then falls fastest, then blows up.
A good peak learning rate lies a few times below where the smoothed loss is
lowest, on the falling side of the curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RangeTest:
    lrs: np.ndarray  # (n,), the learning rate of each step taken
    losses: np.ndarray  # (n,), each step's mini-batch loss
    smoothed: np.ndarray  # (n,), an exponential moving average, bias-corrected
    stopped_early: bool  # the loss blew up before lr_max

    @property
    def lr_at_min(self) -> float:
        """The learning rate where the smoothed loss was lowest (train a few times below it)."""
        return float(self.lrs[int(np.argmin(self.smoothed))])


def lr_range_test(train_step: Callable[[float], float], lr_min: float = 1e-5, lr_max: float = 10.0,
                  num_steps: int = 100, beta: float = 0.9, blowup: float = 4.0) -> RangeTest:
    """Call ``train_step(lr)`` (one step at that rate, returning its loss) for geometrically rising rates.

    Stops early when the loss is not finite or the smoothed loss exceeds
    ``blowup`` times its lowest value so far.
    """
    if not 0 < lr_min < lr_max or num_steps < 2 or not 0 <= beta < 1:
        raise ValueError(f"need 0 < lr_min < lr_max, num_steps >= 2, 0 <= beta < 1; "
                         f"got {lr_min}, {lr_max}, {num_steps}, {beta}")
    lrs, losses, smoothed = [], [], []
    avg, best = 0.0, math.inf
    for k, lr in enumerate(np.geomspace(lr_min, lr_max, num_steps)):
        loss = float(train_step(float(lr)))
        if not math.isfinite(loss):
            return RangeTest(np.array(lrs), np.array(losses), np.array(smoothed), True)
        avg = beta * avg + (1 - beta) * loss
        s = avg / (1 - beta ** (k + 1))
        lrs.append(float(lr))
        losses.append(loss)
        smoothed.append(s)
        best = min(best, s)
        if s > blowup * best:
            return RangeTest(np.array(lrs), np.array(losses), np.array(smoothed), True)
    return RangeTest(np.array(lrs), np.array(losses), np.array(smoothed), False)
