"""Lab 2 tests, part 2: your optimisers take the same steps as torch.optim's."""

import numpy as np
import pytest
import torch

from aimastery.checks import assert_close
from aimastery.labs.scratch import assert_written_from_scratch
from aimastery.optim.compare import trajectory_gap

from . import optimizers
from .optimizers import SGD, Adam, AdamW

TASK3 = pytest.mark.task(3, "SGD with momentum, Nesterov and weight decay")
TASK4 = pytest.mark.task(4, "Adam with bias correction, and AdamW")

# the course's finished optimisers and PyTorch's (the tests compare with them); the base class is given
FINISHED = ("aimastery.optim", "torch.optim")
GIVEN = ("aimastery.optim.Optimizer", "aimastery.optim.base.check_hyper")

IN_PLACE = ("update p in place (p -= ..., p.mul_(...)): p = p - ... only rebinds a local name, and the model "
            "keeps the tensor it had")


def assert_same_trajectory(ours, theirs, settings: dict, tol=1e-6, steps=100):
    gap = trajectory_gap(lambda ps: ours(ps, **settings), lambda ps: theirs(ps, **settings), steps=steps)
    if gap.max > tol:
        first = int(np.argmax(gap.gaps > tol)) + 1
        raise AssertionError(f"{ours.__name__}({settings}) leaves torch.optim.{theirs.__name__}'s path at step "
                             f"{first} (a parameter differs by {gap.gaps[first - 1]:.2e}; after {steps} steps "
                             f"by {gap.max:.2e}; the parameters moved by up to {gap.travelled:.2f})")


def constant_gradient_steps(optimizer_class, n_steps, grad=1.0, **settings):
    """The value of one parameter, starting at 0, after each of n_steps steps with the same gradient."""
    p = torch.zeros(1, dtype=torch.float64)
    opt = optimizer_class([p], **settings)
    values = []
    for _ in range(n_steps):
        p.grad = torch.full_like(p, grad)
        opt.step()
        if not values and p.item() == 0:
            raise AssertionError(f"{optimizer_class.__name__}({settings}): after one step on gradient {grad} the "
                                 f"parameter is still 0: {IN_PLACE}")
        values.append(p.item())
    return values


def reused_gradient_run(optimizer_class, settings: dict, steps: int = 20) -> list[float]:
    """A parameter after ``steps`` steps on the quadratic |p - (1, -2)|^2 / 2, the gradient written each
    step into the same ``p.grad`` tensor, as autograd does after ``zero_grad(set_to_none=False)``."""
    p = torch.tensor([3.0, 0.5], dtype=torch.float64)
    p.grad = torch.zeros_like(p)
    opt = optimizer_class([p], **settings)
    for _ in range(steps):
        opt.zero_grad(set_to_none=False)
        p.grad.add_(p - torch.tensor([1.0, -2.0], dtype=torch.float64))  # the gradient, into the same tensor
        opt.step()
    return p.tolist()


def assert_gradient_untouched(optimizer_class, settings: dict) -> None:
    p = torch.tensor([1.0, -2.0], dtype=torch.float64)
    p.grad = torch.tensor([0.5, 0.25], dtype=torch.float64)
    optimizer_class([p], **settings).step()
    assert p.grad.tolist() == [0.5, 0.25], (
        f"{optimizer_class.__name__}({settings}).step() changed p.grad from [0.5, 0.25] to {p.grad.tolist()}: "
        "grad is the caller's gradient; add the weight decay into a new tensor (grad = grad + wd * p), "
        "not in place (grad += ..., grad.add_(...))")


# ----- Task 3: SGD


@TASK3
def test_momentum_by_hand():
    assert_written_from_scratch(optimizers, FINISHED, allowed=GIVEN)
    # v1 = g = 1, v2 = 0.9 v1 + g = 1.9, v3 = 2.71: the steps are lr * v, taken after v is updated
    values = constant_gradient_steps(SGD, 3, lr=0.1, momentum=0.9)
    assert_close(values, [-0.1, -0.29, -0.561], rtol=1e-12,
                 name="p after 3 steps (v = momentum * v + g first, then p -= lr * v)")


@TASK3
@pytest.mark.parametrize("settings", [
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.8, weight_decay=0.01),
    dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.95, nesterov=True, weight_decay=0.02),
], ids=lambda s: ", ".join(f"{k}={v}" for k, v in s.items()))
def test_sgd_matches_torch_over_100_steps(settings):
    assert_same_trajectory(SGD, torch.optim.SGD, settings)


@TASK3
def test_sgd_updates_the_parameter_in_place():
    p = torch.ones(3, dtype=torch.float64)
    opt = SGD([p], lr=0.5, momentum=0.9)
    p.grad = torch.ones_like(p)
    opt.step()
    if opt.params[0] is not p:
        raise AssertionError("SGD replaced its list of parameters: keep the tensors the model gave it")
    if p.tolist() != [0.5, 0.5, 0.5]:
        raise AssertionError(f"after one step of lr 0.5 on gradient 1 the parameter itself should be 0.5, "
                             f"got {p.tolist()}: {IN_PLACE}")


@TASK3
@pytest.mark.parametrize("settings", [dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, nesterov=True)],
                         ids=lambda s: ", ".join(f"{k}={v}" for k, v in s.items()))
def test_momentum_survives_a_reused_gradient_tensor(settings):
    ours, theirs = reused_gradient_run(SGD, settings), reused_gradient_run(torch.optim.SGD, settings)
    try:
        assert_close(ours, theirs, rtol=1e-9, name=f"p after 20 steps of SGD({settings})")
    except AssertionError as err:
        raise AssertionError(f"{err}, the gradient written each step into the same p.grad tensor "
                             "(zero_grad(set_to_none=False), as autograd does): does your momentum buffer "
                             "share memory with grad? Store a copy at the first step (grad.clone()): the "
                             "caller overwrites that tensor before the next step") from None


@TASK3
@pytest.mark.parametrize("settings", [dict(lr=0.1, weight_decay=0.1), dict(lr=0.1, momentum=0.9, weight_decay=0.1)],
                         ids=lambda s: ", ".join(f"{k}={v}" for k, v in s.items()))
def test_sgd_leaves_the_gradient_alone(settings):
    assert_gradient_untouched(SGD, settings)


# ----- Task 4: Adam and AdamW


@TASK4
def test_adam_first_step_moves_each_coordinate_by_lr():
    assert_written_from_scratch(optimizers, FINISHED, allowed=GIVEN)
    # with the bias correction, m_hat = g and v_hat = g^2 at t = 1: the step is lr * g / |g|, whatever g's size
    for g in (0.05, 1.0, 250.0):
        values = constant_gradient_steps(Adam, 1, grad=g, lr=0.01)
        assert_close(values[0], -0.01, rtol=1e-6,
                     name=f"p after Adam's first step with gradient {g} (bias-corrected, it moves by exactly lr)")


@TASK4
@pytest.mark.parametrize("settings", [
    dict(lr=0.01),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
    dict(lr=0.003, betas=(0.5, 0.9)),
], ids=lambda s: ", ".join(f"{k}={v}" for k, v in s.items()))
def test_adam_matches_torch_over_100_steps(settings):
    assert_same_trajectory(Adam, torch.optim.Adam, settings)


@TASK4
@pytest.mark.parametrize("settings", [
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.003, betas=(0.8, 0.99), weight_decay=0.5),
], ids=lambda s: ", ".join(f"{k}={v}" for k, v in s.items()))
def test_adamw_matches_torch_over_100_steps(settings):
    assert_same_trajectory(AdamW, torch.optim.AdamW, settings)


@TASK4
@pytest.mark.parametrize("cls", [Adam, AdamW], ids=lambda c: c.__name__)
def test_adam_leaves_the_gradient_alone(cls):
    assert_gradient_untouched(cls, dict(lr=0.01, weight_decay=0.1))


@TASK4
def test_each_parameter_counts_its_own_steps():
    # the second parameter gets its first gradient at the third step: its bias correction starts at t = 1 then
    ours = [torch.ones(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)]
    twin = [p.clone() for p in ours]
    opt, opt_torch = Adam(ours, lr=0.1), torch.optim.Adam(twin, lr=0.1)
    for step in range(6):
        for ps, o in ((ours, opt), (twin, opt_torch)):
            ps[0].grad = torch.tensor([1.0, -2.0], dtype=torch.float64) * (step + 1)
            ps[1].grad = torch.tensor([0.5, 3.0], dtype=torch.float64) if step >= 2 else None
            o.step()
    for i in range(2):
        assert_close(ours[i].numpy(), twin[i].numpy(), rtol=1e-12,
                     name=f"parameter {i} after 6 steps (parameter 1 first had a gradient at step 3)")
