"""Optimisers from scratch with the ``torch.optim`` interface, and learning-rate schedules.

Taught in Week 2 (book/week02_linear.md). Each optimiser is a small class:
``step()`` updates every parameter from its ``.grad`` in place, ``zero_grad()``
clears the gradients, and ``state`` holds per-parameter buffers, as in
``torch.optim`` (there are no parameter groups: ``lr`` is an attribute a
schedule may set). Each one takes the same steps as its ``torch.optim`` twin,
which :func:`aimastery.optim.compare.trajectory_gap` measures.
"""

from aimastery.optim.adaptive import Adam, AdamW, RMSprop
from aimastery.optim.base import Optimizer
from aimastery.optim.sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "RMSprop", "SGD"]
