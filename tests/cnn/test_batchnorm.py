"""NumPy batch norm against nn.BatchNorm2d within 1e-6: train and eval modes, running statistics, gradients."""

import numpy as np
import pytest
import torch

from aimastery.checks import check_gradient
from aimastery.cnn.batchnorm import BatchNorm2d
from aimastery.testing import one_torch_thread  # noqa: F401 (autouse fixture)

TOL = 1e-6


def pair(c=3, momentum=0.1, seed=0):
    rng = np.random.default_rng(seed)
    ours, theirs = BatchNorm2d(c, momentum=momentum), torch.nn.BatchNorm2d(c, momentum=momentum).double()
    ours.weight, ours.bias = rng.normal(1, 0.3, c), rng.normal(0, 0.3, c)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight))
        theirs.bias.copy_(torch.tensor(ours.bias))
    return ours, theirs, rng


def step(ours, theirs, x, dy):
    tx = torch.tensor(x, requires_grad=True)
    theirs.zero_grad()
    ty = theirs(tx)
    ty.backward(torch.tensor(dy))
    y = ours(x)
    dx = ours.backward(dy)
    assert np.abs(y - ty.detach().numpy()).max() < TOL
    assert np.abs(dx - tx.grad.numpy()).max() < TOL
    assert np.abs(ours.grads["weight"] - theirs.weight.grad.numpy()).max() < TOL
    assert np.abs(ours.grads["bias"] - theirs.bias.grad.numpy()).max() < TOL


@pytest.mark.parametrize("shape, momentum", [((4, 3, 5, 5), 0.1), ((1, 3, 2, 1), 0.5), ((7, 3, 1, 1), 1.0)])
def test_training_mode_and_running_statistics(shape, momentum):
    ours, theirs, rng = pair(momentum=momentum)
    for _ in range(3):
        x = rng.normal(2, 3, shape)
        step(ours, theirs, x, rng.normal(size=shape))
        assert np.abs(ours.running_mean - theirs.running_mean.numpy()).max() < TOL
        assert np.abs(ours.running_var - theirs.running_var.numpy()).max() < TOL  # the unbiased variance
    assert ours.num_batches_tracked == theirs.num_batches_tracked.item() == 3


def test_eval_mode_uses_the_running_statistics_and_updates_nothing():
    ours, theirs, rng = pair()
    for _ in range(2):
        x = rng.normal(1, 2, (5, 3, 4, 4))
        step(ours, theirs, x, rng.normal(size=x.shape))
    ours.eval(), theirs.eval()
    mean, var = ours.running_mean.copy(), ours.running_var.copy()
    x = rng.normal(1, 2, (2, 3, 4, 4))
    step(ours, theirs, x, rng.normal(size=x.shape))
    assert np.array_equal(mean, ours.running_mean) and np.array_equal(var, ours.running_var)
    one = rng.normal(size=(1, 3, 1, 1))  # a single value per channel is fine in eval mode
    assert np.abs(ours(one) - theirs(torch.tensor(one)).detach().numpy()).max() < TOL


def test_finite_differences_in_training_mode():
    ours, _, rng = pair()
    x, dy = rng.normal(size=(3, 3, 2, 2)), rng.normal(size=(3, 3, 2, 2))

    def loss(v):
        fresh = BatchNorm2d(3)
        fresh.weight, fresh.bias = ours.weight, ours.bias
        return float((fresh(v) * dy).sum())

    ours(x)
    check_gradient(loss, x, ours.backward(dy))


def test_bad_input():
    bn = BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"has 3 channels"):
        bn(np.zeros((2, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"shape \(N, C, H, W\)"):
        bn(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"N \* H \* W >= 2"):
        bn(np.zeros((1, 3, 1, 1)))
    with pytest.raises(RuntimeError, match="needs a forward"):
        BatchNorm2d(2).backward(np.zeros((1, 2, 2, 2)))
    with pytest.raises(ValueError, match="integer >= 1"):
        BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum must be in"):
        BatchNorm2d(2, momentum=2)
