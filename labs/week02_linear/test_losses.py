"""Lab 2 tests, part 1: your softmax cross-entropy and its gradient against PyTorch."""

import numpy as np
import pytest
import torch

from aimastery.checks import assert_close, check_gradient, float_errors_explained
from aimastery.labs.scratch import assert_written_from_scratch

from . import losses
from .losses import cross_entropy, cross_entropy_grad, log_softmax

TASK1 = pytest.mark.task(1, "stable softmax cross-entropy")
TASK2 = pytest.mark.task(2, "the gradient of the cross-entropy")

# finished softmaxes and cross-entropies: PyTorch's (the tests compare with it), SciPy's, the course's Week 4 layer
FINISHED = ("torch", "scipy.special", "aimastery.mlp", "aimastery.sampling")


def batch(B=6, C=10, scale=3.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((B, C)) * scale, rng.integers(0, C, size=B)


def torch_loss_and_grad(logits, y):
    z = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(z, torch.from_numpy(y))
    loss.backward()
    return loss.item(), z.grad.numpy()


# logits a confident model produces, each row at its own offset: no exp of them fits in a float
EXTREME = {
    "large positive": np.array([[1000.0, 999.0, 0.0], [800.0, 0.0, -5.0]]),
    "large negative": np.array([[-1000.0, -999.0, -1005.0], [-800.0, -801.0, -1500.0]]),
    "rows far apart": np.array([[1e4, 1e4 - 2.0, 0.0], [-1e4, -1e4 + 1.0, -1e4 - 3.0]]),
    "huge": np.array([[1e5, -1e5, 0.0], [3.0, 1e5, 1e5 - 1.0]]),
}
EXTREME_LABELS = np.array([1, 2])


# ----- Task 1: the loss


@TASK1
def test_log_softmax_matches_torch():
    assert_written_from_scratch(losses, FINISHED)
    logits, _ = batch()
    assert_close(log_softmax(logits), torch.log_softmax(torch.from_numpy(logits), dim=1).numpy(),
                 rtol=1e-12, name="log_softmax")


@TASK1
@pytest.mark.parametrize("B, C", [(6, 10), (1, 3), (5, 5), (3, 7)])
def test_cross_entropy_matches_torch(B, C):
    logits, y = batch(B, C)
    loss = cross_entropy(logits, y)
    assert type(loss) is float, (f"return the loss as a Python float, got {type(loss).__module__}."
                                 f"{type(loss).__name__}: wrap the mean in float(...)")
    assert_close(loss, torch_loss_and_grad(logits, y)[0], rtol=1e-12, name=f"cross_entropy on ({B}, {C}) logits")


@TASK1
@pytest.mark.parametrize("case", EXTREME)
def test_cross_entropy_does_not_overflow(case):
    logits = EXTREME[case]
    with float_errors_explained(f"{case} logits"):  # an overflow, log(0) or nan stops here, and says why
        loss = cross_entropy(logits, EXTREME_LABELS)
        row_sums = np.exp(log_softmax(logits)).sum(axis=1)
    assert np.isfinite(loss), f"{case} logits: the loss is {loss}"
    assert_close(loss, torch_loss_and_grad(logits, EXTREME_LABELS)[0], rtol=1e-12, name=f"{case} logits")
    assert_close(row_sums, np.ones(2), rtol=1e-12, name="each row of exp(log_softmax) sums to 1")


@TASK1
def test_adding_a_constant_to_a_row_changes_nothing():
    logits, y = batch(4, 6)
    shifted = logits + np.array([[0.0], [50.0], [-300.0], [1e3]])
    assert_close(log_softmax(shifted), log_softmax(logits), rtol=1e-9, atol=1e-9,
                 name="log_softmax of logits shifted row by row")
    assert_close(cross_entropy(shifted, y), cross_entropy(logits, y), rtol=1e-9, name="cross_entropy, shifted")


@TASK1
def test_bad_labels_get_clear_errors():
    logits, y = batch(4, 3)
    cross_entropy(logits, y)  # a valid batch first
    with pytest.raises(ValueError, match=r"\(4,\)"):
        cross_entropy(logits, y[:3])
    with pytest.raises(ValueError, match="classes 0..2"):
        cross_entropy(logits, np.array([0, 1, 2, 3]))


# ----- Task 2: the gradient


@TASK2
@pytest.mark.parametrize("B, C", [(6, 10), (1, 3), (5, 5)])
def test_gradient_matches_torch_autograd(B, C):
    assert_written_from_scratch(losses, FINISHED)
    logits, y = batch(B, C, seed=1)
    grad = cross_entropy_grad(logits, y)
    assert grad.shape == (B, C), f"the gradient has the shape of the logits, ({B}, {C}); got {grad.shape}"
    assert_close(grad, torch_loss_and_grad(logits, y)[1], rtol=1e-10, atol=1e-14, name="dL/dlogits")


@TASK2
def test_gradient_against_finite_differences():
    logits, y = batch(3, 4, scale=1.0, seed=2)
    check_gradient(lambda z: cross_entropy(z, y), logits, cross_entropy_grad(logits, y), name="dL/dlogits")


@TASK2
def test_each_row_of_the_gradient_sums_to_zero():
    logits, y = batch(5, 7, seed=3)
    grad = cross_entropy_grad(logits, y)
    assert_close(grad.sum(axis=1), np.zeros(5), atol=1e-12,
                 name="row sums of dL/dlogits (softmax sums to 1, the one-hot too)")
    assert np.all(grad[np.arange(5), y] < 0), "the true class's logit should be pushed up: its gradient is negative"


@TASK2
@pytest.mark.parametrize("case", EXTREME)
def test_gradient_does_not_overflow(case):
    logits = EXTREME[case]
    with float_errors_explained(f"dL/dlogits for {case} logits (compute the softmax stably, e.g. as "
                                "np.exp of your log_softmax)"):
        grad = cross_entropy_grad(logits, EXTREME_LABELS)
    assert_close(grad, torch_loss_and_grad(logits, EXTREME_LABELS)[1], rtol=1e-10, atol=1e-14,
                 name=f"dL/dlogits for {case} logits")
