"""Let the course's optimisers (and torch.optim's) update NumPy arrays in place.

Taught in Week 2 (book/week02_linear.md), which trains the NumPy softmax
regression of :mod:`aimastery.mlp` with them. ``torch.from_numpy`` makes a
tensor that shares the array's memory, so an optimiser's in-place update of
the tensor is an update of the array. The layers of :mod:`aimastery.mlp`
overwrite their gradient arrays in every ``backward`` (they never
accumulate), so there is nothing to zero between steps: do not call
``zero_grad()``, which would detach the gradients from the arrays.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch


def numpy_parameters(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> list[torch.Tensor]:
    """Tensors viewing each (parameter, gradient) pair of arrays, the gradient as ``.grad``."""
    params = []
    for i, (p, g) in enumerate(pairs):
        if not (isinstance(p, np.ndarray) and isinstance(g, np.ndarray)) or p.shape != g.shape \
                or p.dtype != g.dtype:
            raise ValueError(f"pair {i}: need a parameter array and a gradient array of the same shape and dtype, "
                             f"got {type(p).__name__} {getattr(p, 'shape', '')} and "
                             f"{type(g).__name__} {getattr(g, 'shape', '')}")
        t = torch.from_numpy(p)  # shares memory with p
        t.grad = torch.from_numpy(g)  # and with g: each backward's new gradient is seen
        params.append(t)
    return params
