"""Lab 5 tests, part 1: your convolution and pooling against PyTorch in float64, and finite differences."""

from typing import NamedTuple

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from aimastery.checks import check_gradient
from aimastery.labs.scratch import assert_written_from_scratch

from . import conv
from .conv import (avg_pool2d_backward, avg_pool2d_forward, col2im, conv2d_backward, conv2d_forward, im2col,
                   max_pool2d_backward, max_pool2d_forward)

TASK1 = pytest.mark.task(1, "im2col and the convolution's forward pass")
TASK2 = pytest.mark.task(2, "col2im and the convolution's backward pass")
TASK3 = pytest.mark.task(3, "max-pool and average-pool, backward")

FINISHED = ("torch", "scipy", "aimastery.cnn")  # the oracles, and the course's finished convolution
TOL = 1e-10


def from_scratch(*functions):
    """The task's own functions (and what they use) import no finished convolution: a shortcut fails its task."""
    assert_written_from_scratch(conv, FINISHED, functions=functions)


class ConvCase(NamedTuple):
    """One convolution; a failing test shows it with these labels."""
    x_shape: tuple[int, int, int, int]  # (N, C_in, H, W)
    w_shape: tuple[int, int, int, int]  # (C_out, C_in, kh, kw)
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    seed: int


class PoolCase(NamedTuple):
    """One pooling window; a failing test shows it with these labels."""
    x_shape: tuple[int, int, int, int]  # (N, C, H, W)
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    seed: int


@st.composite
def conv_cases(draw):
    """A convolution whose kernel fits in the padded input: shapes, stride, padding, dilation (pairs)."""
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 8))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 8))
    return ConvCase((n, c_in, h, w), (c_out, c_in, kh, kw), stride, padding, dilation, draw(st.integers(0, 2**31)))


def torch_conv(x, w, b, stride, padding, dilation, dout=None):
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    out = F.conv2d(tx, tw, tb, stride, padding, dilation)
    if dout is None:
        return out.detach().numpy()
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), None if b is None else tb.grad.numpy()


def assert_equal(got, expected, name):
    assert got.shape == expected.shape, f"{name} has shape {got.shape}, PyTorch's {expected.shape}"
    err = np.abs(got - expected).max() if got.size else 0.0
    assert err < TOL, f"{name} differs from PyTorch's by {err:.2e} (tolerance {TOL:.0e})"


# ----- Task 1: im2col and the forward pass


@TASK1
def test_im2col_layout():
    from_scratch("im2col", "conv2d_forward")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 6, 5))
    cols = im2col(x, (2, 3), stride=(2, 1), padding=(1, 0), dilation=(2, 1))
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    H_out, W_out = (6 + 2 - 2 * 1 - 1) // 2 + 1, (5 - 2 - 1) // 1 + 1
    assert cols.shape == (3 * 2 * 3, 2 * H_out * W_out), \
        f"im2col gives one column per output position, (C * kh * kw, N * H_out * W_out) = {(18, 2 * H_out * W_out)}"
    for n in range(2):
        for i in range(H_out):
            for j in range(W_out):
                field = xpad[n, :, 2 * i:2 * i + 3:2, j:j + 3]  # rows i*s + p*d, columns j*s + q*d
                column = cols[:, (n * H_out + i) * W_out + j]
                assert np.array_equal(column, field.ravel()), \
                    f"column {(n * H_out + i) * W_out + j} should hold the receptive field of output (n={n}, i={i}, " \
                    f"j={j}), in (c, p, q) order; columns run over (n, i, j)"


@TASK1
def test_forward_is_cross_correlation():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 1, 5, 5)), rng.normal(size=(1, 1, 3, 3))
    out, _ = conv2d_forward(x, w)
    expected = torch_conv(x, w, None, 1, 0, 1)
    if np.allclose(out, torch_conv(x, w[:, :, ::-1, ::-1].copy(), None, 1, 0, 1)):
        raise AssertionError("your output is the convolution with the kernel flipped: PyTorch's conv2d (and the "
                             "chapter's) is cross-correlation, w[p, q] multiplies xpad[i*s + p*d, j*s + q*d]")
    assert_equal(out, expected, "conv2d_forward")


@TASK1
@settings(max_examples=40)
@given(conv_cases(), st.booleans())
def test_forward_equals_torch(case, bias):
    x_shape, w_shape, stride, padding, dilation, seed = case
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    b = rng.normal(size=w_shape[0]) if bias else None
    out, _ = conv2d_forward(x, w, b, stride, padding, dilation)
    assert_equal(out, torch_conv(x, w, b, stride, padding, dilation), "conv2d_forward")


# ----- Task 2: col2im and the backward pass


@TASK2
@settings(max_examples=30)
@given(conv_cases())
def test_col2im_is_the_adjoint_of_im2col(case):
    x_shape, w_shape, stride, padding, dilation, seed = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=x_shape)
    cols = im2col(x, w_shape[2:], stride, padding, dilation)
    y = rng.normal(size=cols.shape)
    back = col2im(y, x_shape, w_shape[2:], stride, padding, dilation)
    assert back.shape == x_shape, f"col2im must return the images' shape {x_shape}, got {back.shape}"
    lhs, rhs = (cols * y).sum(), (x * back).sum()
    assert abs(lhs - rhs) < 1e-9 * (1 + np.abs(cols * y).sum()), \
        f"<im2col(x), y> = {lhs:.6f} but <x, col2im(y)> = {rhs:.6f}: col2im must add every entry back where " \
        f"im2col copied it from (mind the stride, the dilation, and the padding that is cut off)"


@TASK2
def test_col2im_counts_overlaps():
    ones = np.ones((1, 1, 4, 4))
    counts = col2im(im2col(ones, 3, 1, 1), ones.shape, 3, 1, 1)  # how many 3x3 windows cover each pixel
    expected = np.array([[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]], dtype=float)
    assert np.array_equal(counts[0, 0], expected), \
        f"col2im(im2col(ones)) counts the windows covering each pixel, {expected.tolist()}; got {counts[0, 0].tolist()}"


@TASK2
@settings(max_examples=40)
@given(conv_cases(), st.booleans())
def test_backward_equals_torch(case, bias):
    x_shape, w_shape, stride, padding, dilation, seed = case
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    b = rng.normal(size=w_shape[0]) if bias else None
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation)
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    _, tdx, tdw, tdb = torch_conv(x, w, b, stride, padding, dilation, dout)
    assert_equal(dx, tdx, "dx")
    assert_equal(dw, tdw, "dw")
    if bias:
        assert_equal(db, tdb, "db")
    else:
        assert db is None, "without a bias, conv2d_backward returns db = None"


@TASK2
def test_backward_finite_differences():
    from_scratch("col2im", "conv2d_backward")
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(2, 2, 7, 6)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    kw = dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1))
    out, cache = conv2d_forward(x, w, b, **kw)
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    check_gradient(lambda v: float((conv2d_forward(v, w, b, **kw)[0] * dout).sum()), x, dx, name="dx")
    check_gradient(lambda v: float((conv2d_forward(x, v, b, **kw)[0] * dout).sum()), w, dw, name="dw")
    check_gradient(lambda v: float((conv2d_forward(x, w, v, **kw)[0] * dout).sum()), b, db, name="db")


# ----- Task 3: pooling, backward


@st.composite
def pool_cases(draw, dilated=True):
    """A pooling window that fits in the padded input; dilated or not (F.avg_pool2d has no dilation)."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 8))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 8))
    return PoolCase((draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w), (kh, kw), stride, padding, dilation,
                    draw(st.integers(0, 2**31)))


@TASK3
def test_max_pool_gradient_goes_to_the_first_maximum_only():
    from_scratch("max_pool2d_backward", "avg_pool2d_backward")
    x = np.array([[[[1.0, 5.0, 2.0], [5.0, 0.0, 5.0], [3.0, 4.0, 1.0]]]])
    out, cache = max_pool2d_forward(x, 2, stride=1)  # four overlapping windows, ties of 5s
    dx = max_pool2d_backward(np.array([[[[1.0, 10.0], [100.0, 1000.0]]]]), cache)
    tx = torch.tensor(x, requires_grad=True)
    F.max_pool2d(tx, 2, stride=1).backward(torch.tensor([[[[1.0, 10.0], [100.0, 1000.0]]]]))
    assert dx.shape == x.shape, f"dx has the input's shape {x.shape}, got {dx.shape}"
    if np.count_nonzero(dx) > np.count_nonzero(tx.grad.numpy()):
        raise AssertionError("dx is non-zero at inputs that were not their window's maximum: a max depends on the "
                             "winning input only, so only that one gets the window's gradient")
    assert np.array_equal(dx, tx.grad.numpy()), \
        f"expected {tx.grad.numpy()[0, 0].tolist()}, got {dx[0, 0].tolist()}: each window's gradient goes to its " \
        f"first maximum in row-major order (as argmax picks it), and overlapping windows add up"


@TASK3
@settings(max_examples=40)
@given(pool_cases(), st.booleans())
def test_max_pool_backward_equals_torch(case, ties):
    rng = np.random.default_rng(case.seed)
    x = rng.integers(0, 3, size=case.x_shape).astype(float) if ties else rng.normal(size=case.x_shape)
    out, cache = max_pool2d_forward(x, case.kernel, case.stride, case.padding, case.dilation)
    dout = rng.normal(size=out.shape)
    dx = max_pool2d_backward(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    F.max_pool2d(tx, case.kernel, case.stride, case.padding, case.dilation).backward(torch.tensor(dout))
    assert_equal(dx, tx.grad.numpy(), "max-pool's dx (mind the dilation: the windows' taps are dilation apart)")


@TASK3
@settings(max_examples=30)
@given(pool_cases(dilated=False))
def test_avg_pool_backward_equals_torch(case):
    rng = np.random.default_rng(case.seed)
    x = rng.normal(size=case.x_shape)
    out, cache = avg_pool2d_forward(x, case.kernel, case.stride, case.padding)
    dout = rng.normal(size=out.shape)
    dx = avg_pool2d_backward(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    F.avg_pool2d(tx, case.kernel, case.stride, case.padding).backward(torch.tensor(dout))
    assert_equal(dx, tx.grad.numpy(), "average-pool's dx")


@TASK3
def test_pooling_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 2, 7, 6))  # distinct values: max-pool is differentiable there
    for dilation in (1, 2):
        out, cache = max_pool2d_forward(x, 3, 2, 1, dilation)
        dout = rng.normal(size=out.shape)
        check_gradient(lambda v: float((max_pool2d_forward(v, 3, 2, 1, dilation)[0] * dout).sum()), x,
                       max_pool2d_backward(dout, cache), name=f"max-pool's dx (kernel 3, stride 2, dilation {dilation})")
    out, cache = avg_pool2d_forward(x, (2, 3), 1, (1, 1))
    dout = rng.normal(size=out.shape)
    check_gradient(lambda v: float((avg_pool2d_forward(v, (2, 3), 1, (1, 1))[0] * dout).sum()), x,
                   avg_pool2d_backward(dout, cache), name="avg-pool's dx (kernel (2, 3), padding 1)")
