"""The course's NumPy pooling: max-pool and average-pool, forward and backward, on im2col's windows.

Taught in Week 5 (book/week05_cnn.md). Max-pool routes each window's gradient
to its first maximum in row-major order (PyTorch's CPU rule for ties);
average-pool spreads it evenly, the padding's zeros counted
(``count_include_pad=True``, PyTorch's default).

Its one source is Lab 5's reference solution, ``solutions/week05_cnn/conv.py``.
"""

from solutions.week05_cnn.conv import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward

__all__ = ["avg_pool2d_backward", "avg_pool2d_forward", "max_pool2d_backward", "max_pool2d_forward"]
