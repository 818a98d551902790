"""Lab 5, part 1 — convolution and pooling in NumPy, forward and backward, with im2col and col2im.

Layout as PyTorch's: inputs (N, C, H, W), weights (C_out, C_in, kh, kw),
and "convolution" is cross-correlation, as ``torch.nn.functional.conv2d``
computes it (the kernel is not flipped)::

    out[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * xpad[n, c, i*s + p*d, j*s + q*d]

with stride s, dilation d and xpad the input with ``padding`` zeros on each
side. Along each axis the output has

    H_out = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1

positions. im2col copies every receptive field into one column, so that the
convolution becomes one matrix product; col2im is its adjoint (it adds
each column back where it came from), which is exactly what the backward pass
needs. Pooling is the same sliding window with a max or a mean in place of
the dot product.

Taught in Week 5 (book/week05_cnn.md). ``make lab-check WEEK=05`` tells you
how far you are.
"""

from __future__ import annotations

import numpy as np

Pair = int | tuple[int, int]


def pair(value: Pair, name: str, minimum: int) -> tuple[int, int]:
    """``value`` as (along H, along W); a clear error unless both are integers >= ``minimum``."""
    out = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(out) != 2 or not all(isinstance(v, (int, np.integer)) and v >= minimum for v in out):
        raise ValueError(f"{name} takes an integer >= {minimum} or a pair of them (along H, along W), got {value!r}")
    return int(out[0]), int(out[1])


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output positions along one axis: (size + 2 padding - dilation (kernel - 1) - 1) // stride + 1."""
    span = dilation * (kernel - 1) + 1  # the receptive field, dilated
    if span > size + 2 * padding:
        raise ValueError(f"the kernel spans {span} pixels (kernel {kernel}, dilation {dilation}) but the padded "
                         f"input has only {size + 2 * padding} ({size} + 2 x padding {padding}): a kernel must fit "
                         f"inside the padded input")
    return (size + 2 * padding - span) // stride + 1


def check_images(x: np.ndarray, name: str = "x") -> None:
    """A batch of images (N, C, H, W) of floats, or a clear error."""
    if not isinstance(x, np.ndarray) or x.ndim != 4 or not np.issubdtype(x.dtype, np.floating):
        shape = getattr(x, "shape", None)
        raise ValueError(f"{name} must be a float NumPy array of shape (N, C, H, W), got "
                         f"{type(x).__name__} of shape {shape}")


def im2col(x: np.ndarray, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1) -> np.ndarray:
    """Every receptive field of x (N, C, H, W) as one column: (C * kh * kw, N * H_out * W_out).

    Rows run over (c, p, q) in that order (q fastest), the order of
    ``w.reshape(C_out, -1)``'s columns; columns over (n, i, j).
    """
    check_images(x)
    (kh, kw), (sh, sw) = pair(kernel_size, "kernel_size", 1), pair(stride, "stride", 1)
    (ph, pw), (dh, dw) = pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    N, C, H, W = x.shape
    H_out, W_out = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
    # TODO: The module docstring's formula says which pixel each product reads: with the input padded by
    #       zeros (H and W only), kernel tap (p, q) of output (i, j) reads padded row i*s + p*d and column
    #       j*s + q*d. The result has one row per (c, p, q) and one column per (n, i, j):
    #       (C * kh * kw, N * H_out * W_out).
    # Stuck? One more hint at a time: make lab-check WEEK=05 HINT=2 (in the notebook: check(1, hint=2))
    # Keep the code below the raise: it uses the cols you set here.
    raise NotImplementedError('Lab 5 · im2col in conv.py: not implemented yet (the TODO just above says what to write)')
    return cols


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], kernel_size: Pair, stride: Pair = 1,
           padding: Pair = 0, dilation: Pair = 1) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every column of cols (C * kh * kw, N * H_out * W_out) back into x_shape.

    A pixel that sits in several receptive fields receives the sum of its
    copies; a pixel of the padding is dropped. For every x and y,
    ``(im2col(x) * y).sum() == (x * col2im(y, x.shape, ...)).sum()``.
    """
    (kh, kw), (sh, sw) = pair(kernel_size, "kernel_size", 1), pair(stride, "stride", 1)
    (ph, pw), (dh, dw) = pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    if len(x_shape) != 4:
        raise ValueError(f"x_shape is the shape (N, C, H, W) of the images, got {x_shape!r}")
    N, C, H, W = x_shape
    H_out, W_out = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
    if cols.shape != (C * kh * kw, N * H_out * W_out):
        raise ValueError(f"cols must have shape (C * kh * kw, N * H_out * W_out) = "
                         f"{(C * kh * kw, N * H_out * W_out)} for images of shape {tuple(x_shape)}, got {cols.shape}")
    # TODO: im2col copies; its adjoint adds. Undo the reshape to (C, kh, kw, N, H_out, W_out), then for each
    #       kernel tap (p, q) add its (C, N, H_out, W_out) block into a zero padded image at the pixels that tap
    #       read, and finally cut the padding off and put the batch axis first again.
    # Stuck? One more hint at a time: make lab-check WEEK=05 HINT=2 (in the notebook: check(2, hint=2))
    # Keep the code below the raise: it uses the x you set here.
    raise NotImplementedError('Lab 5 · col2im in conv.py: not implemented yet (the TODO just above says what to write)')
    return x


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: Pair = 1,
                   padding: Pair = 0, dilation: Pair = 1):
    """x (N, C_in, H, W), w (C_out, C_in, kh, kw), b (C_out,) or None -> out (N, C_out, H_out, W_out), cache.

    Equal to ``torch.nn.functional.conv2d(x, w, b, stride, padding, dilation)``;
    ``cache`` holds what :func:`conv2d_backward` needs.
    """
    check_images(x)
    if not isinstance(w, np.ndarray) or w.ndim != 4:
        raise ValueError(f"w must be a NumPy array of shape (C_out, C_in, kh, kw), got shape {getattr(w, 'shape', None)}")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w expects {w.shape[1]} input channels (w has shape (C_out, C_in, kh, kw) = {w.shape}) "
                         f"but x has {x.shape[1]} (x has shape (N, C, H, W) = {x.shape})")
    if b is not None and (not isinstance(b, np.ndarray) or b.shape != (w.shape[0],)):
        raise ValueError(f"b must be None or of shape (C_out,) = ({w.shape[0]},), got shape {getattr(b, 'shape', None)}")
    stride, padding, dilation = pair(stride, "stride", 1), pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    N, C_out = x.shape[0], w.shape[0]
    H_out = conv_output_size(x.shape[2], w.shape[2], stride[0], padding[0], dilation[0])
    W_out = conv_output_size(x.shape[3], w.shape[3], stride[1], padding[1], dilation[1])
    # TODO: Every output number is one filter w[o], flattened in im2col's (c, p, q) order, dotted with one
    #       column of im2col(x): all of them at once are one matrix product, (C_out, C_in * kh * kw) times
    #       (C_in * kh * kw, N * H_out * W_out), whose columns come in (n, i, j) order.
    # Stuck? One more hint at a time: make lab-check WEEK=05 HINT=2 (in the notebook: check(1, hint=2))
    # Keep the code below the raise: it uses the out and cache you set here.
    raise NotImplementedError('Lab 5 · conv2d_forward in conv.py: not implemented yet (the TODO just above says what to write)')
    return out, cache


def conv2d_backward(dout: np.ndarray, cache):
    """Given dL/dout (N, C_out, H_out, W_out), return dx (like x), dw (like w) and db (C_out,), or None without a bias."""
    x_shape, cols, w, has_bias, kernel, stride, padding, dilation = cache
    # TODO: The forward pass was a linear layer on the columns of im2col(x) (Week 4's backward: the
    #       gradients of a matrix product and of a bias added to every column). The gradient of the
    #       columns then goes back to dx through im2col's adjoint, with the forward pass's settings.
    # Stuck? One more hint at a time: make lab-check WEEK=05 HINT=2 (in the notebook: check(2, hint=2))
    # Keep the code below the raise: it uses the dw, db and dx you set here.
    raise NotImplementedError('Lab 5 · conv2d_backward in conv.py: not implemented yet (the TODO just above says what to write)')
    return dx, dw, db


def _pool_setup(x, kernel_size, stride, padding, dilation=1):
    """Checked (kernel, stride, padding, dilation) pairs and the output size of a pooling window."""
    check_images(x)
    kernel = pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else pair(stride, "stride", 1)  # PyTorch: the stride defaults to the kernel
    padding, dilation = pair(padding, "padding", 0), pair(dilation, "dilation", 1)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"pooling padding must be at most half the kernel (as in PyTorch), got padding {padding} "
                         f"for kernel {kernel}")
    H_out = conv_output_size(x.shape[2], kernel[0], stride[0], padding[0], dilation[0])
    W_out = conv_output_size(x.shape[3], kernel[1], stride[1], padding[1], dilation[1])
    return kernel, stride, padding, dilation, H_out, W_out


def max_pool2d_forward(x: np.ndarray, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
                       dilation: Pair = 1):
    """x (N, C, H, W) -> the max of every window (N, C, H_out, W_out), cache. As ``F.max_pool2d``.

    Padding is -inf, so it is never the max. Ties: the first maximum in the
    window's row-major order wins (np.argmax), as in PyTorch's CPU kernel.
    """
    kernel, stride, padding, dilation, H_out, W_out = _pool_setup(x, kernel_size, stride, padding, dilation)
    N, C, H, W = x.shape
    (ph, pw) = padding
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    # each channel on its own: (N * C, 1, H', W') -> one column per window (kh * kw, N * C * H_out * W_out)
    cols = im2col(xpad.reshape(N * C, 1, *xpad.shape[2:]), kernel, stride, 0, dilation)
    argmax = cols.argmax(axis=0)  # the first maximum of each window
    out = cols[argmax, np.arange(cols.shape[1])].reshape(N, C, H_out, W_out)
    return out, (x.shape, xpad.shape, argmax, kernel, stride, padding, dilation)


def max_pool2d_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Given dL/dout (N, C, H_out, W_out), return dL/dx (N, C, H, W).

    The windows are the forward pass's: its kernel, stride, padding and
    dilation (a dilated window's taps are ``dilation`` pixels apart), all in ``cache``.
    """
    x_shape, xpad_shape, argmax, kernel, stride, padding, dilation = cache
    N, C, H, W = x_shape
    (ph, pw) = padding
    # TODO: The max of a window depends on one input only, the one that won (the first maximum, as the
    #       forward pass chose it with argmax): that input gets the whole gradient, the window's others none.
    #       Overlapping windows may pick the same input: its gradients add up. Which function of Task 2 adds,
    #       and which of the forward pass's settings (kernel, stride, padding, dilation) does it need?
    # Stuck? One more hint at a time: make lab-check WEEK=05 HINT=2 (in the notebook: check(3, hint=2))
    # Keep the code below the raise: it uses the dx you set here.
    raise NotImplementedError('Lab 5 · max_pool2d_backward in conv.py: not implemented yet (the TODO just above says what to write)')
    return dx


def avg_pool2d_forward(x: np.ndarray, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0):
    """x (N, C, H, W) -> the mean of every window (N, C, H_out, W_out), cache. As ``F.avg_pool2d``.

    The padding's zeros count in the mean (PyTorch's default,
    ``count_include_pad=True``): every window divides by kh * kw.
    """
    kernel, stride, padding, _, H_out, W_out = _pool_setup(x, kernel_size, stride, padding)
    N, C, H, W = x.shape
    cols = im2col(x.reshape(N * C, 1, H, W), kernel, stride, padding)  # (kh * kw, N * C * H_out * W_out)
    out = cols.mean(axis=0).reshape(N, C, H_out, W_out)
    return out, (x.shape, kernel, stride, padding)


def avg_pool2d_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Given dL/dout (N, C, H_out, W_out), return dL/dx (N, C, H, W)."""
    x_shape, kernel, stride, padding = cache
    N, C, H, W = x_shape
    # TODO: Every input of a window gets 1 / (kh * kw) of the window's gradient, padding included (it is
    #       dropped afterwards); overlapping windows add up, as in max-pool's backward.
    # Stuck? One more hint at a time: make lab-check WEEK=05 HINT=2 (in the notebook: check(3, hint=2))
    # Keep the code below the raise: it uses the dx you set here.
    raise NotImplementedError('Lab 5 · avg_pool2d_backward in conv.py: not implemented yet (the TODO just above says what to write)')
    return dx
