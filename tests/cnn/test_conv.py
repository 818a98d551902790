"""NumPy convolution against torch.nn.functional.conv2d in float64: forward and every gradient within 1e-10."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from aimastery.checks import check_gradient
from aimastery.cnn.conv import col2im, conv2d_backward, conv2d_forward, conv_output_size, im2col
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)

TOL = 1e-10


@st.composite
def conv_cases(draw):
    """A random convolution whose kernel fits in the padded input: shapes, stride, padding, dilation (pairs)."""
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 10))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 10))
    seed = draw(st.integers(0, 2**31))
    return (n, c_in, h, w), (c_out, c_in, kh, kw), (sh, sw), (ph, pw), (dh, dw), draw(st.booleans()), seed


def max_abs(a, b):
    return float(np.abs(a - b).max()) if a.size else 0.0


@settings(max_examples=60)
@given(conv_cases())
def test_forward_and_gradients_equal_torch(case):
    x_shape, w_shape, stride, padding, dilation, bias, seed = case
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    b = rng.normal(size=w_shape[0]) if bias else None
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation)
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv2d_backward(dout, cache)

    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if bias else None
    tout = F.conv2d(tx, tw, tb, stride, padding, dilation)
    tout.backward(torch.tensor(dout))
    assert out.shape == tuple(tout.shape)
    assert max_abs(out, tout.detach().numpy()) < TOL
    assert max_abs(dx, tx.grad.numpy()) < TOL
    assert max_abs(dw, tw.grad.numpy()) < TOL
    if bias:
        assert max_abs(db, tb.grad.numpy()) < TOL
    else:
        assert db is None


@settings(max_examples=40)
@given(conv_cases())
def test_col2im_is_the_adjoint_of_im2col(case):
    x_shape, w_shape, stride, padding, dilation, _, seed = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=x_shape)
    cols = im2col(x, w_shape[2:], stride, padding, dilation)
    y = rng.normal(size=cols.shape)
    back = col2im(y, x_shape, w_shape[2:], stride, padding, dilation)
    assert back.shape == x_shape
    assert abs((cols * y).sum() - (x * back).sum()) < 1e-9 * (1 + np.abs(cols * y).sum())


def test_finite_differences():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    kw = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))
    dout = rng.normal(size=conv2d_forward(x, w, b, **kw)[0].shape)
    dx, dw, db = conv2d_backward(dout, conv2d_forward(x, w, b, **kw)[1])
    check_gradient(lambda v: float((conv2d_forward(v, w, b, **kw)[0] * dout).sum()), x, dx)
    check_gradient(lambda v: float((conv2d_forward(x, v, b, **kw)[0] * dout).sum()), w, dw)
    check_gradient(lambda v: float((conv2d_forward(x, w, v, **kw)[0] * dout).sum()), b, db)


def test_output_size_formula():
    assert conv_output_size(32, 3, 1, 1) == 32
    assert conv_output_size(224, 7, 2, 3) == 112
    assert conv_output_size(10, 3, 1, 0, dilation=2) == 6  # the kernel spans 5 pixels
    assert conv_output_size(5, 3, 3, 0) == 1


def test_float32_stays_float32():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3, 8, 8)).astype(np.float32), rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    out, cache = conv2d_forward(x, w, np.zeros(4, np.float32), padding=1)
    dx, dw, db = conv2d_backward(np.ones_like(out), cache)
    assert {out.dtype, dx.dtype, dw.dtype, db.dtype} == {np.dtype(np.float32)}


@pytest.mark.parametrize("x_shape, w_shape, kwargs, message", [
    ((3, 8, 8), (4, 3, 3, 3), {}, r"shape \(N, C, H, W\)"),
    ((2, 3, 8, 8), (4, 3, 3), {}, r"shape \(C_out, C_in, kh, kw\)"),
    ((2, 3, 8, 8), (4, 2, 3, 3), {}, "expects 2 input channels"),
    ((2, 3, 4, 4), (4, 3, 5, 5), {}, "must fit inside the padded input"),
    ((2, 3, 4, 4), (4, 3, 3, 3), dict(dilation=2), "spans 5 pixels"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(stride=0), "stride takes an integer >= 1"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(padding=-1), "padding takes an integer >= 0"),
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(dilation=(1, 2, 3)), "dilation takes"),
])
def test_bad_input(x_shape, w_shape, kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv2d_forward(np.zeros(x_shape), np.zeros(w_shape), **kwargs)


def test_bad_bias_and_dtype():
    with pytest.raises(ValueError, match=r"shape \(C_out,\) = \(4,\)"):
        conv2d_forward(np.zeros((1, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="float NumPy array"):
        conv2d_forward(np.zeros((1, 3, 5, 5), dtype=int), np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"cols must have shape"):
        col2im(np.zeros((9, 27)), (1, 3, 5, 5), 3)
