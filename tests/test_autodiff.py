"""The course's finished engine (aimastery.autodiff) at the edges of a**n's domain, against PyTorch."""

import math

import pytest
import torch

from aimastery.autodiff import Value


def torch_value_and_grad(x: float, exponent: float) -> tuple[float, float]:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = t**exponent
    y.backward()
    return y.item(), t.grad.item()


@pytest.mark.parametrize("exponent", [0, 0.0, 0.5, 1, 1.5, 2, 3], ids=repr)
def test_pow_at_zero_matches_torch(exponent):
    v = Value(0.0)
    y = v**exponent
    y.backward()
    value, grad = torch_value_and_grad(0.0, exponent)
    assert (y.data, v.grad) == (value, grad)  # 0 ** 0: value 1, slope 0; 0 ** 0.5: value 0, slope inf


def test_zero_to_the_zero_has_slope_zero_for_any_base():
    for x in (-2.0, 0.0, 3.0):
        v = Value(x)
        (v**0).backward()
        assert v.grad == torch_value_and_grad(x, 0)[1] == 0


@pytest.mark.parametrize("exponent", [-1, -0.5, -2])
def test_negative_power_of_zero_is_a_clear_error(exponent):
    value, grad = torch_value_and_grad(0.0, exponent)
    assert math.isinf(value) and math.isinf(grad)  # PyTorch: inf, and a slope of -inf
    with pytest.raises(ZeroDivisionError, match=rf"0 \*\* {exponent} is undefined"):
        Value(0.0) ** exponent  # the course refuses an infinite Value instead


@pytest.mark.parametrize("upstream", [-2.0, 0.0])
def test_infinite_slope_times_an_upstream_gradient(upstream):
    v = Value(0.0)
    out = v**0.5
    out.grad = upstream
    out._backward()
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (t**0.5).backward(torch.tensor(upstream, dtype=torch.float64))
    expected = t.grad.item()  # -inf, and for an upstream 0, 0 * inf = nan
    assert v.grad == expected or (math.isnan(v.grad) and math.isnan(expected))


def test_division_by_zero_names_the_division():
    for divide in (lambda: Value(1.0) / Value(0.0), lambda: Value(1.0) / 0, lambda: 2 / Value(0.0)):
        with pytest.raises(ZeroDivisionError, match=r"division by zero: a / b is computed as a \* b\*\*-1"):
            divide()


def test_exp_overflow_says_so():
    assert math.isfinite(Value(709.0).exp().data)
    with pytest.raises(OverflowError, match=r"exp\(710\) is too large for a float"):
        Value(710.0).exp()
