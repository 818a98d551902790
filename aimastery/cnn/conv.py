"""The course's NumPy convolution: im2col, col2im (its adjoint), conv2d forward and backward.

Taught in Week 5 (book/week05_cnn.md): stride, padding and dilation, PyTorch's
layout (NCHW, weights (C_out, C_in, kh, kw)) and its cross-correlation. The
chapter prints the stride-1 forward pass; its checks and the benchmark
(``make bench ONLY=conv``) run on this finished code.

Its one source is Lab 5's reference solution, ``solutions/week05_cnn/conv.py``
(the lab's stubs are generated from it), so the convolution the chapter runs
and the one the lab's tests hold up as correct cannot drift apart.
"""

from solutions.week05_cnn.conv import col2im, conv2d_backward, conv2d_forward, conv_output_size, im2col

__all__ = ["col2im", "conv2d_backward", "conv2d_forward", "conv_output_size", "im2col"]
