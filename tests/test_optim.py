"""The course's optimisers take the same steps as torch.optim, and the schedules give the same rates."""

import math

import numpy as np
import pytest
import torch

from aimastery.optim import SGD, Adam, AdamW, Optimizer, RMSprop
from aimastery.optim.compare import reference_problem, trajectory_gap
from aimastery.optim.range_test import lr_range_test
from aimastery.optim.schedules import warmup_cosine_lr

TO = torch.optim
CASES = {  # name: (ours, torch's twin, keyword arguments for both)
    "SGD": (SGD, TO.SGD, dict(lr=0.1)),
    "SGD, weight decay": (SGD, TO.SGD, dict(lr=0.1, weight_decay=0.05)),
    "momentum": (SGD, TO.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    "momentum, dampening": (SGD, TO.SGD, dict(lr=0.1, momentum=0.8, dampening=0.3)),
    "Nesterov": (SGD, TO.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "RMSProp": (RMSprop, TO.RMSprop, dict(lr=0.01, weight_decay=0.01)),
    "RMSProp, momentum, centred": (RMSprop, TO.RMSprop, dict(lr=0.005, alpha=0.9, momentum=0.9, centered=True,
                                                               weight_decay=0.01)),
    "Adam": (Adam, TO.Adam, dict(lr=0.01)),
    "Adam, weight decay": (Adam, TO.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    "AdamW": (AdamW, TO.AdamW, dict(lr=0.01, weight_decay=0.1)),
}


@pytest.mark.parametrize("name", CASES)
def test_same_trajectory_as_torch_over_100_steps(name):
    ours, theirs, kwargs = CASES[name]
    gap = trajectory_gap(lambda ps: ours(ps, **kwargs), lambda ps: theirs(ps, **kwargs), steps=100)
    assert gap.travelled > 0.05, "the parameters should move: a comparison of two standing optimisers proves nothing"
    assert gap.max <= 1e-6, f"{name}: {gap.max:.2e} apart after {np.argmax(gap.gaps > 1e-6) + 1} steps"


@pytest.mark.parametrize("ours, theirs", [
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: TO.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
    (lambda ps: Adam(ps, lr=0.01, weight_decay=0.1), lambda ps: TO.AdamW(ps, lr=0.01, weight_decay=0.1)),
    (lambda ps: SGD(ps, lr=0.1), lambda ps: TO.SGD(ps, lr=0.1 + 1e-6)),
], ids=["heavy ball vs Nesterov", "Adam's L2 vs AdamW's decay", "lr off by 1e-6"])
def test_the_comparison_sees_a_different_optimiser(ours, theirs):
    assert trajectory_gap(ours, theirs, steps=100).max > 1e-6


class NanAtStep3(SGD):
    """SGD that writes nan into every parameter at its third step and then steps on."""

    def step(self, closure=None):
        self.steps = getattr(self, "steps", 0) + 1
        super().step(closure)
        if self.steps == 3:
            for p in self.params:
                p.data.fill_(math.nan)


def test_a_nan_counts_as_infinitely_apart_from_then_on():
    gap = trajectory_gap(lambda ps: NanAtStep3(ps, lr=0.1), lambda ps: TO.SGD(ps, lr=0.1), steps=6)
    assert gap.gaps[:2].max() == 0 and np.all(gap.gaps[2:] == math.inf)


def test_step_zero_grad_and_closure():
    params, loss = reference_problem()
    ps = [p.clone().requires_grad_() for p in params]
    frozen = torch.ones(3, requires_grad=True)  # never gets a gradient: must not move
    opt = Adam([*ps, frozen], lr=0.1)
    before = [p.detach().clone() for p in ps]

    def closure():
        opt.zero_grad()
        out = loss(ps)
        out.backward()
        return out

    returned = opt.step(closure)
    assert torch.isclose(returned, loss(before))
    assert all(not torch.equal(a, b) for a, b in zip(ps, before))
    assert torch.equal(frozen, torch.ones(3)) and frozen not in opt.state
    opt.zero_grad(set_to_none=False)
    assert all(torch.equal(p.grad, torch.zeros_like(p)) for p in ps)
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


@pytest.mark.parametrize("make, message", [
    (lambda: SGD([], lr=0.1), "empty list"),
    (lambda: SGD([np.zeros(3)], lr=0.1), "torch tensors"),
    (lambda: SGD([torch.zeros(1)], lr=0), "lr must be in"),
    (lambda: SGD([torch.zeros(1)], lr=0.1, momentum=1.0), "momentum must be in"),
    (lambda: SGD([torch.zeros(1)], lr=0.1, nesterov=True), "Nesterov momentum needs"),
    (lambda: Adam([torch.zeros(1)], lr=0.1, betas=(0.9,)), "betas is a pair"),
    (lambda: Adam([torch.zeros(1)], lr=0.1, betas=(0.9, 1.0)), "beta2 must be in"),
    (lambda: RMSprop([torch.zeros(1)], eps=0), "eps must be in"),
    (lambda: AdamW([torch.zeros(1)], weight_decay=-1), "weight_decay must be in"),
])
def test_bad_settings_get_clear_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_the_base_class_asks_for_update():
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.ones(2)
    with pytest.raises(NotImplementedError, match="update"):
        Optimizer([p], lr=0.1).step()


def test_warmup_cosine_equals_torch_schedulers():
    total, warmup, peak, final = 60, 12, 0.3, 0.01
    p = torch.zeros(1, requires_grad=True)
    opt = TO.SGD([p], lr=peak)
    sched = TO.lr_scheduler.SequentialLR(opt, [
        TO.lr_scheduler.LinearLR(opt, start_factor=1 / warmup, total_iters=warmup - 1),
        TO.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=final),
    ], milestones=[warmup])
    theirs = []
    for _ in range(total):
        theirs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    ours = [warmup_cosine_lr(k, total, peak, warmup, final) for k in range(total)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert ours[warmup - 1] == pytest.approx(peak) and ours[0] == pytest.approx(peak / warmup)


def test_warmup_cosine_rejects_bad_input():
    with pytest.raises(ValueError, match="warmup_steps < total_steps"):
        warmup_cosine_lr(0, 10, 0.1, warmup_steps=10)
    with pytest.raises(ValueError, match="step must be in"):
        warmup_cosine_lr(10, 10, 0.1)


def test_range_test_finds_the_stable_rates_of_a_noisy_quadratic():
    # SGD on f(w) = w^2 / 2 with noisy gradients: stable for lr < 2 (the noise it leaves behind
    # grows as lr approaches 2) and divergent above
    rng = np.random.default_rng(0)
    w = [5.0]

    def train_step(lr):
        w[0] -= lr * (w[0] + rng.standard_normal())
        return 0.5 * w[0] ** 2

    result = lr_range_test(train_step, lr_min=1e-3, lr_max=100.0, num_steps=200)
    assert result.stopped_early and result.lrs[-1] < 4
    assert 0.1 < result.lr_at_min < 2
    assert len(result.lrs) == len(result.losses) == len(result.smoothed)
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        lr_range_test(train_step, lr_min=1.0, lr_max=0.1)


def test_numpy_parameters_are_updated_in_place_from_their_gradient_arrays():
    from aimastery.optim.numpy_params import numpy_parameters

    w, g = np.ones(3, dtype=np.float32), np.full(3, 0.5, dtype=np.float32)
    opt = SGD(numpy_parameters([(w, g)]), lr=0.1, momentum=0.9)
    opt.step()
    g[:] = 1.0  # a new gradient, written into the same array as a layer's backward does
    opt.step()
    v = 0.9 * 0.5 + 1.0
    np.testing.assert_allclose(w, 1 - 0.1 * 0.5 - 0.1 * v, rtol=1e-6)
    with pytest.raises(ValueError, match="same shape and dtype"):
        numpy_parameters([(w, np.ones(4, dtype=np.float32))])
