"""Lab 1 tests: your Value against hand-derived gradients and against PyTorch."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from aimastery.checks import assert_close
from aimastery.expressions import compare_with_torch, random_expression, random_inputs
from aimastery.labs.scratch import assert_written_from_scratch

from . import engine
from .engine import Value

TASK1 = pytest.mark.task(1, "backward(): the reverse topological walk")
TASK2 = pytest.mark.task(2, "pow, exp, log, tanh, relu backward; whole expressions")

FINISHED = ("aimastery.autodiff",)  # the course's finished engine: one import would pass every test

ORDER_HINT = ("list each node once, and only after all of its operands (a walk that lists a node when it first "
              "meets it, like a node counter, gets this wrong); then run _backward from the last to the first")


def local_grads(out: Value, *inputs: Value) -> list[float]:
    """Run only ``out``'s own backward closure, with out.grad = 1."""
    out.grad = 1.0
    out._backward()
    return [x.grad for x in inputs]


def assert_grad(actual, expected, name: str, why: str) -> None:
    """assert_close, and what the mistake probably is when it fails."""
    try:
        assert_close(actual, expected, name=name)
    except AssertionError as err:
        raise AssertionError(f"{err}: {why}") from None


def torch_grad(fn, x: float) -> float:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    fn(t).backward()
    return t.grad.item()


# ----- Task 1: backward() over whole graphs of + and * (given)


@TASK1
def test_backward_chain_rule():
    assert_written_from_scratch(engine, FINISHED)
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    f = (a * b + c) * a  # f = a²b + ac
    f.backward()
    assert f.grad == 1.0, "backward() seeds the output's own gradient with 1"
    assert_close([a.grad, b.grad, c.grad], [2 * 2.0 * -3.0 + 10.0, 4.0, 2.0], name="(df/da, df/db, df/dc)")


@TASK1
def test_node_used_twice_accumulates():
    a = Value(3.0)
    b = a + a  # one node, two uses
    b.backward()
    assert_grad(a.grad, 2.0, "d(a + a)/da", "both uses of a must add up: is a listed (and its closure run) once?")
    x = Value(-2.0)
    y = x * x * x  # x³
    y.backward()
    assert_grad(x.grad, 3 * (-2.0) ** 2, "d(x*x*x)/dx", ORDER_HINT)


SHARED_FORMS = {  # b reaches the output directly and through a longer path
    "b*b + b": lambda b: b * b + b,
    "b + b*b": lambda b: b + b * b,
    "(b + 1)*b": lambda b: (b + 1.0) * b,
    "b*(b + 1)": lambda b: b * (b + 1.0),
}


@TASK1
@pytest.mark.parametrize("form", list(SHARED_FORMS))
def test_shared_node_waits_for_all_its_users(form):
    # b may pass its gradient on only after both paths have delivered theirs
    a = Value(1.5)
    b = a * 2.0
    SHARED_FORMS[form](b).backward()
    expected_db = 2 * b.data + 1  # the derivative of each form with respect to b
    assert_grad(b.grad, expected_db, f"d({form})/db", ORDER_HINT)
    assert_grad(a.grad, expected_db * 2.0, f"d({form})/da, with b = 2a", ORDER_HINT)


@TASK1
def test_shared_node_at_different_depths():
    a = Value(3.0)
    x = a * 2.0  # used at two depths on each side: whichever side a walk enters first, it meets x early
    z = (x + 1.0) * x + x * (x + 1.0)
    z.backward()
    assert_grad(a.grad, 2 * (2 * x.data + 1) * 2.0, "dz/da for z = (x+1)x + x(x+1), x = 2a", ORDER_HINT)


@TASK1
def test_deep_graph_has_no_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(10_000):  # far deeper than Python's recursion limit of 1,000
        y = y * 1.0001 + 0.0
    try:
        y.backward()
    except RecursionError:
        raise AssertionError("backward() on a graph 10,000 operations deep hit Python's recursion limit: "
                             "walk the graph with a stack (a list) of your own instead of recursing") from None
    assert_close(x.grad, 1.0001**10_000, rtol=1e-9, name="d(x * 1.0001**10000)/dx")


# ----- Task 2: the closures of the other operations, against PyTorch; then whole expressions


UNARY_CASES = {
    "exp": (lambda v: v.exp(), [-2.0, 0.0, 1.5]),
    "log": (lambda v: v.log(), [0.1, 1.0, 7.0]),
    "tanh": (lambda v: v.tanh(), [-3.0, 0.0, 0.5]),
    "relu": (lambda v: v.relu(), [-1.0, 2.5]),
    "pow 2": (lambda v: v**2, [-1.5, 3.0]),
    "pow 3": (lambda v: v**3, [-2.0, 0.5]),
    "pow -1": (lambda v: v**-1, [-4.0, 0.25]),
    "pow 0.5": (lambda v: v**0.5, [0.3, 9.0]),
}


@TASK2
@pytest.mark.parametrize("name", list(UNARY_CASES))
def test_unary_backward_matches_torch(name):
    fn, points = UNARY_CASES[name]
    for x in points:
        v = Value(x)
        (grad,) = local_grads(fn(v), v)
        assert_close(grad, torch_grad(fn, x), rtol=1e-9, name=f"d({name})/dx at x={x}")


@TASK2
def test_relu_at_zero_has_zero_gradient():
    assert_written_from_scratch(engine, FINISHED)
    v = Value(0.0)
    (grad,) = local_grads(v.relu(), v)
    assert_close(grad, 0.0, name="relu's slope at 0, taken as 0 as in PyTorch")


@TASK2
@pytest.mark.parametrize("name", list(UNARY_CASES))
def test_unary_closures_accumulate_and_scale(name):
    fn, points = UNARY_CASES[name]
    x = points[-1]
    v = Value(x)
    out = fn(v)
    v.grad, out.grad = 10.0, 0.5  # v already holds gradient from elsewhere; out passes 0.5 down
    out._backward()
    expected = 10.0 + 0.5 * torch_grad(fn, x)
    assert_close(v.grad, expected, rtol=1e-9,
                 name=f"{name} at x={x} with out.grad = 0.5 and x.grad = 10 before: x.grad must become "
                      "10 + 0.5 * the local derivative (+= and times out.grad)")


POW_AT_ZERO = [0, 0.0, 0.5, 1, 1.5, 2, 3]


@TASK2
@pytest.mark.parametrize("exponent", POW_AT_ZERO, ids=repr)
def test_pow_at_zero_matches_torch(exponent):
    # n * a**(n-1) computed as written divides by zero at a = 0 when n < 1
    v = Value(0.0)
    (grad,) = local_grads(v**exponent, v)
    expected = torch_grad(lambda t: t**exponent, 0.0)  # 0 for exponent 0, inf for 0.5
    assert grad == expected, f"d(a**{exponent!r})/da at a = 0: PyTorch gives {expected}, your engine {grad}"


# whole expressions: backward() (Task 1) and every closure together


@TASK2
def test_tanh_neuron():
    x1, w1, x2, w2, b = Value(2.0), Value(-3.0), Value(0.0), Value(1.0), Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    t = torch.tensor([2.0, -3.0, 0.0, 1.0, 6.8813735870195432], dtype=torch.float64, requires_grad=True)
    torch.tanh(t[0] * t[1] + t[2] * t[3] + t[4]).backward()
    assert_close([x1.grad, w1.grad, x2.grad, w2.grad, b.grad], t.grad.numpy(), rtol=1e-9, name="neuron gradients")


@TASK2
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_random_expressions_match_torch(seed):
    expression = random_expression(seed, n_inputs=3, depth=4)
    inputs = random_inputs(seed, 3)
    result = compare_with_torch(Value, expression, inputs)
    assert_close(result.value, result.torch_value, rtol=1e-9, name=f"value of {expression}")
    assert_close(result.grads, result.torch_grads, rtol=1e-6, atol=1e-9, name=f"gradients of {expression} at {inputs}")


@TASK2
def test_sub_neg_div_compose():
    a, b = Value(3.0), Value(-2.0)
    f = (a - b) / (-a) + 2 / b - 1 - a
    f.backward()
    t = torch.tensor([3.0, -2.0], dtype=torch.float64, requires_grad=True)
    ((t[0] - t[1]) / (-t[0]) + 2 / t[1] - 1 - t[0]).backward()
    assert_close(f.data, ((3.0 + 2.0) / -3.0) + 2 / -2.0 - 1 - 3.0, name="f")
    assert_close([a.grad, b.grad], t.grad.numpy(), rtol=1e-9, name="gradients of f")

