import pytest
import torch

from aimastery.checks import assert_close
from aimastery.expressions import compare_with_torch, random_expression, random_inputs
from solutions.week01_autodiff.engine import Value


def test_same_seed_same_expression():
    assert random_expression(5) == random_expression(5)
    assert str(random_expression(5)) == str(random_expression(5))
    assert len({str(random_expression(s)) for s in range(50)}) > 40


def test_expression_runs_in_torch_and_in_value():
    for seed in range(100):
        expr = random_expression(seed)
        xs = random_inputs(seed, 3)
        result = compare_with_torch(Value, expr, xs)
        assert_close(result.value, result.torch_value, rtol=1e-9, name=str(expr))
        assert_close(result.grads, result.torch_grads, rtol=1e-6, atol=1e-9, name=str(expr))


def test_torch_leaves_are_float64():
    expr = random_expression(1)
    out = expr(*[torch.tensor(x, dtype=torch.float64) for x in random_inputs(1, 3)])
    assert out.dtype == torch.float64


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_inputs"):
        random_expression(0, n_inputs=0)
    with pytest.raises(TypeError, match="takes 3 inputs"):
        random_expression(0)(1.0)
