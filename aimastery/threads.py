"""Run small PyTorch work on one thread.

First used by the capstone's models (book/capstone_issue_classifier.md);
Week 2's optimiser comparisons and playground (book/week02_linear.md) step
tensors of a few dozen numbers, where threads only cost time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run PyTorch on one thread inside the block (then restore the previous count).

    For tiny operations (a 64-unit layer, a 4-way linear head) threads only
    add synchronisation: each waits for the slowest, and on a busy machine
    training ran ten times slower with two threads than with one.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
