"""NumPy max-pool and average-pool against PyTorch's in float64: forward and gradient within 1e-10."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from aimastery.checks import check_gradient
from aimastery.cnn.pool import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)

TOL = 1e-10


@st.composite
def pool_cases(draw, dilated=True):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 9))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 9))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w)
    return shape, (kh, kw), stride, padding, dilation, draw(st.booleans()), draw(st.integers(0, 2**31))


def data(shape, ties, rng):
    """Normal values, or small integers so that windows have tied maxima."""
    return rng.integers(0, 3, size=shape).astype(np.float64) if ties else rng.normal(size=shape)


@settings(max_examples=60)
@given(pool_cases())
def test_max_pool_equals_torch_ties_included(case):
    shape, kernel, stride, padding, dilation, ties, seed = case
    rng = np.random.default_rng(seed)
    x = data(shape, ties, rng)
    out, cache = max_pool2d_forward(x, kernel, stride, padding, dilation)
    dout = rng.normal(size=out.shape)
    dx = max_pool2d_backward(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    tout = F.max_pool2d(tx, kernel, stride, padding, dilation)
    tout.backward(torch.tensor(dout))
    assert out.shape == tuple(tout.shape)
    assert np.abs(out - tout.detach().numpy()).max() < TOL
    assert np.abs(dx - tx.grad.numpy()).max() < TOL


@settings(max_examples=40)
@given(pool_cases(dilated=False))
def test_avg_pool_equals_torch(case):
    shape, kernel, stride, padding, _, _, seed = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    out, cache = avg_pool2d_forward(x, kernel, stride, padding)
    dout = rng.normal(size=out.shape)
    dx = avg_pool2d_backward(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    tout = F.avg_pool2d(tx, kernel, stride, padding)
    tout.backward(torch.tensor(dout))
    assert np.abs(out - tout.detach().numpy()).max() < TOL
    assert np.abs(dx - tx.grad.numpy()).max() < TOL


def test_tie_goes_to_the_first_maximum():
    x = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])
    out, cache = max_pool2d_forward(x, 2)
    assert max_pool2d_backward(np.ones_like(out), cache).tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


def test_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 2, 7, 6))  # distinct values: max-pool is differentiable there
    out, cache = max_pool2d_forward(x, 3, 2, 1)
    dout = rng.normal(size=out.shape)
    check_gradient(lambda v: float((max_pool2d_forward(v, 3, 2, 1)[0] * dout).sum()), x,
                   max_pool2d_backward(dout, cache))
    out, cache = avg_pool2d_forward(x, (2, 3), 1, (1, 1))
    dout = rng.normal(size=out.shape)
    check_gradient(lambda v: float((avg_pool2d_forward(v, (2, 3), 1, (1, 1))[0] * dout).sum()), x,
                   avg_pool2d_backward(dout, cache))


@pytest.mark.parametrize("call, message", [
    (lambda: max_pool2d_forward(np.zeros((3, 4, 4)), 2), r"shape \(N, C, H, W\)"),
    (lambda: max_pool2d_forward(np.zeros((1, 1, 4, 4)), 3, padding=2), "at most half the kernel"),
    (lambda: avg_pool2d_forward(np.zeros((1, 1, 2, 2)), 3), "must fit inside the padded input"),
    (lambda: avg_pool2d_forward(np.zeros((1, 1, 4, 4)), 0), "kernel_size takes an integer >= 1"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
