"""Lab 4 tests: your layers against finite differences and torch.autograd, then training on MNIST."""

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from aimastery.checks import assert_close, check_gradient, float_errors_explained
from aimastery.data.mnist import load_mnist

from .mlp import MLP, SGD, Linear, ReLU, SoftmaxCrossEntropy, accuracy, fit

TASK1 = pytest.mark.task(1, "Linear: forward and backward")
TASK2 = pytest.mark.task(2, "ReLU: forward and backward")
TASK3 = pytest.mark.task(3, "softmax cross-entropy")
TASK4 = pytest.mark.task(4, "the whole network, and SGD with momentum")
TASK5 = pytest.mark.task(5, "the training loop on MNIST")


def rng(seed=0):
    return np.random.default_rng(seed)


def assert_close_naming_b(got, expected, B: int, name: str, **tolerances) -> None:
    """assert_close, and when ``got`` is off by exactly the batch size B, a message that says so."""
    try:
        assert_close(got, expected, name=name, **tolerances)
    except AssertionError as err:
        got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        if got.shape == expected.shape and np.allclose(got * B, expected, rtol=1e-8):
            raise AssertionError(f"{name} is 1/B = 1/{B} of the expected: it is averaged over the batch where "
                                 "it should be summed (the loss already divides by B, once)") from None
        if got.shape == expected.shape and np.allclose(got, expected * B, rtol=1e-8):
            raise AssertionError(f"{name} is B = {B} times the expected: the loss is a mean over the batch, "
                                 "so its gradient carries a 1/B") from None
        raise err from None


def linear64(n_in=5, n_out=3, seed=0):
    layer = Linear(n_in, n_out, rng(seed), dtype=np.float64)
    layer.bias = rng(seed + 1).standard_normal(n_out)  # non-zero, so a wrong bias term shows
    return layer


# ----- Task 1: Linear


@TASK1
def test_linear_forward_matches_torch():
    layer = linear64()
    x = rng(2).standard_normal((4, 5))
    expected = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(layer.weight),
                                          torch.from_numpy(layer.bias))
    out = layer.forward(x)
    assert out.shape == (4, 3), f"Linear(5, 3) on a batch of 4 gives (4, 3), got {out.shape}"
    assert_close(out, expected.numpy(), rtol=1e-12, name="Linear.forward")


@TASK1
@pytest.mark.parametrize("shape", [(4, 5, 3), (1, 7, 2), (6, 3, 8)], ids=str)
def test_linear_backward_against_finite_differences(shape):
    B, n_in, n_out = shape
    layer = linear64(n_in, n_out)
    x = rng(3).standard_normal((B, n_in))
    upstream = rng(4).standard_normal((B, n_out))  # L = sum(upstream * Y), so dL/dY = upstream

    def loss(_):
        return float(np.sum(upstream * layer.forward(x)))

    layer.forward(x)
    grad_x = layer.backward(upstream)
    assert grad_x.shape == x.shape, f"dL/dX has the shape of X, {x.shape}; got {grad_x.shape}"
    check_gradient(loss, x, grad_x, name="dL/dX")
    check_gradient(loss, layer.weight, layer.grad_weight, name="dL/dW (grad_weight)")
    check_gradient(loss, layer.bias, layer.grad_bias, name="dL/db (grad_bias)")


@TASK1
def test_linear_backward_matches_torch_autograd():
    layer = linear64(6, 4)
    x = rng(5).standard_normal((3, 6))
    upstream = rng(6).standard_normal((3, 4))
    layer.forward(x)
    grad_x = layer.backward(upstream)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(layer.weight, requires_grad=True)
    bt = torch.tensor(layer.bias, requires_grad=True)
    torch.nn.functional.linear(xt, wt, bt).backward(torch.from_numpy(upstream))
    assert_close(grad_x, xt.grad.numpy(), rtol=1e-10, name="dL/dX")
    assert_close(layer.grad_weight, wt.grad.numpy(), rtol=1e-10, name="grad_weight")
    assert_close_naming_b(layer.grad_bias, bt.grad.numpy(), 3, rtol=1e-10, name="grad_bias")


@TASK1
@pytest.mark.parametrize("bad", [(4, 6), (4,), (2, 4, 5)], ids=str)
def test_linear_rejects_wrong_shapes_clearly(bad):
    layer = linear64(5, 3)
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros(bad))
    message = str(info.value)
    assert "(B, 5)" in message, f"the message should name the expected shape (B, 5): {message!r}"
    assert str(bad) in message, f"the message should name the shape it got, {bad}: {message!r}"


# ----- Task 2: ReLU


@TASK2
def test_relu_forward_and_backward():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    relu = ReLU()
    out = relu.forward(x)
    assert_close(out, [[0.0, 0.0, 0.0, 0.5, 3.0]], name="ReLU.forward")
    assert_close(relu.backward(np.full_like(x, 2.0)), [[0.0, 0.0, 0.0, 2.0, 2.0]],
                 name="ReLU.backward (the slope at exactly 0 is 0, as in PyTorch)")


@TASK2
def test_relu_keeps_dtype_and_matches_torch():
    x = rng(7).standard_normal((8, 9)).astype(np.float32)
    upstream = rng(8).standard_normal((8, 9)).astype(np.float32)
    relu = ReLU()
    out = relu.forward(x)
    assert out.dtype == np.float32, f"ReLU.forward: float32 in, float32 out; got {out.dtype}"
    grad = relu.backward(upstream)
    assert grad.dtype == np.float32, f"ReLU.backward: float32 in, float32 out; got {grad.dtype}"
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.from_numpy(upstream))
    assert_close(out, torch.relu(torch.from_numpy(x)).numpy(), name="ReLU.forward")
    assert_close(grad, xt.grad.numpy(), name="ReLU.backward")


@TASK2
def test_relu_forward_leaves_its_input_alone():
    x = np.array([[-2.0, 0.5, -0.25]])
    ReLU().forward(x)
    assert x.tolist() == [[-2.0, 0.5, -0.25]], (
        f"ReLU.forward changed its input to {x.tolist()}: x belongs to the layer below (Linear keeps it for "
        "its backward); write the result into a new array (np.maximum(x, 0)), not out=x")


@TASK2
def test_relu_against_finite_differences():
    x = rng(9).standard_normal((4, 6))
    x[np.abs(x) < 0.05] = 0.5  # finite differences need to stay off the kink at 0
    upstream = rng(10).standard_normal((4, 6))
    relu = ReLU()
    relu.forward(x)
    check_gradient(lambda _: float(np.sum(upstream * ReLU().forward(x))), x, relu.backward(upstream), name="ReLU")


# ----- Task 3: softmax cross-entropy


def torch_cross_entropy(logits, y):
    lt = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(lt, torch.from_numpy(y))
    loss.backward()
    return loss.item(), lt.grad.numpy()


@TASK3
def test_cross_entropy_matches_torch():
    logits = rng(11).standard_normal((6, 10)) * 3
    y = np.array([0, 3, 9, 3, 5, 1])
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(logits, y)
    expected_loss, expected_grad = torch_cross_entropy(logits, y)
    assert_close(loss, expected_loss, rtol=1e-12, name="the mean cross-entropy")
    assert_close_naming_b(loss_fn.backward(), expected_grad, 6, rtol=1e-10, atol=1e-14, name="dL/dlogits")


@TASK3
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_returns_a_python_float(dtype):
    logits = rng(13).standard_normal((4, 3)).astype(dtype)
    loss = SoftmaxCrossEntropy().forward(logits, np.array([0, 2, 1, 2]))
    assert type(loss) is float, (f"forward on {np.dtype(dtype).name} logits returns {type(loss).__module__}."
                                 f"{type(loss).__name__}; wrap the mean in float(...) to return a Python float")


@TASK3
def test_cross_entropy_against_finite_differences():
    logits = rng(12).standard_normal((5, 4))
    y = np.array([1, 0, 3, 3, 2])
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(logits, y)
    check_gradient(lambda z: SoftmaxCrossEntropy().forward(z, y), logits, loss_fn.backward(), name="dL/dlogits")


@TASK3
def test_cross_entropy_survives_huge_logits():
    # a stable softmax may underflow to 0 for a hopeless class, but it never takes the log of that 0
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 790.0]])
    y = np.array([2, 2])
    loss_fn = SoftmaxCrossEntropy()
    with float_errors_explained("SoftmaxCrossEntropy on logits up to 1000"):
        loss = loss_fn.forward(logits, y)
        grad = loss_fn.backward()
    expected_loss, expected_grad = torch_cross_entropy(logits, y)
    assert_close(loss, expected_loss, rtol=1e-12, name="loss with huge logits")
    assert_close(grad, expected_grad, rtol=1e-10, atol=1e-14, name="gradient with huge logits")


@TASK3
def test_cross_entropy_rejects_mismatched_labels():
    with pytest.raises(ValueError) as info:
        SoftmaxCrossEntropy().forward(np.zeros((4, 10)), np.zeros(5, dtype=int))
    assert "(4, 10)" in str(info.value) and "(5,)" in str(info.value), \
        f"the message should name both shapes: {info.value}"


# ----- Task 4: SGD with momentum, on a whole network


def torch_twin(model):
    """The same network in PyTorch, with a copy of the model's weights."""
    modules = [torch.nn.Linear(*layer.weight.shape[::-1], dtype=torch.float64) if isinstance(layer, Linear)
               else torch.nn.ReLU() for layer in model.layers]
    net = torch.nn.Sequential(*modules)
    net.load_state_dict({name: torch.tensor(p) for name, p, _ in model.parameters()})
    return net


@TASK4
def test_network_gradients_match_torch_autograd():
    model = MLP([7, 6, 5, 3], rng(13), dtype=np.float64)
    x, y = rng(14).standard_normal((8, 7)), np.array([0, 1, 2, 0, 1, 2, 2, 1])
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(model.forward(x), y)
    model.backward(loss_fn.backward())
    net = torch_twin(model)
    torch_loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
    torch_loss.backward()
    assert_close(loss, torch_loss.item(), rtol=1e-12, name="network loss")
    for (name, _, grad), (_, p) in zip(model.parameters(), net.named_parameters()):
        assert_close(grad, p.grad.numpy(), rtol=1e-9, atol=1e-13, name=f"gradient of {name}")


@TASK4
def test_sgd_momentum_matches_torch():
    model = MLP([4, 5, 3], rng(15), dtype=np.float64)
    net = torch_twin(model)
    optimizer = SGD(model, lr=0.1, momentum=0.9)
    torch_optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for step in range(4):
        draw = rng(16 + step)
        for (_, _, grad), tp in zip(model.parameters(), net.parameters()):
            grad[...] = draw.standard_normal(grad.shape)  # as if backward had stored it
            tp.grad = torch.tensor(grad)
        optimizer.step()
        torch_optimizer.step()
    for (name, p, _), (_, tp) in zip(model.parameters(), net.named_parameters()):
        assert_close(p, tp.detach().numpy(), rtol=1e-9, atol=1e-12, name=f"{name} after 4 momentum steps")


@TASK4
def test_sgd_without_momentum_is_plain_gradient_descent():
    model = MLP([3, 2], rng(17), dtype=np.float64)
    layer = model.layers[0]
    before = layer.weight.copy()
    layer.grad_weight[...] = rng(18).standard_normal(layer.weight.shape)
    SGD(model, lr=0.5, momentum=0.0).step()
    if np.array_equal(layer.weight, before):
        raise AssertionError("the weights did not change after step(): update p in place (p -= ...); "
                             "p = p - ... only rebinds a local name, and the layer keeps its old array")
    assert_close(layer.weight, before - 0.5 * layer.grad_weight, name="p - lr * grad")


# ----- Task 5: the training loop


@pytest.fixture(scope="module")
def mnist_subset():
    data = load_mnist(n_val=5000)
    return data.X_train[:5000], data.y_train[:5000], data.X_val[:2000], data.y_val[:2000]


@TASK5
def test_fit_visits_every_example_once_per_epoch():
    X, y = rng(18).standard_normal((50, 4)).astype(np.float32), rng(19).integers(0, 3, 50)
    losses = fit(MLP([4, 8, 3], rng(20)), X, y, epochs=3, batch_size=16, lr=0.05, rng=rng(21))
    assert len(losses) == 3 * 4, f"50 examples in batches of 16 is 4 steps per epoch; 3 epochs, 12 losses, got {len(losses)}"
    odd = next((v for v in losses if type(v) is not float), None)
    assert odd is None, (f"fit returns one Python float per step, got a {type(odd).__name__}: append "
                         "the loss as SoftmaxCrossEntropy.forward returns it, a Python float (Task 3)")


class Recorder:
    """Stands in for the model: remembers which examples each forward pass saw."""

    def __init__(self, n_classes):
        self.model = MLP([1, n_classes], rng(0))
        self.seen = []

    def forward(self, x):  # x (B, 1): the example ids
        self.seen.append(x[:, 0].astype(int).tolist())
        return self.model.forward(x * 0)

    def backward(self, grad):
        return self.model.backward(grad)

    def parameters(self):
        return self.model.parameters()


@TASK5
def test_fit_shuffles_afresh_every_epoch():
    X = np.arange(40, dtype=np.float32)[:, None]  # (40, 1): each example is its own id
    y = rng(24).integers(0, 3, 40)
    spy = Recorder(n_classes=3)
    fit(spy, X, y, epochs=2, batch_size=10, lr=0.01, rng=rng(25))
    epochs = [sum(spy.seen[:4], []), sum(spy.seen[4:], [])]
    for e, ids in enumerate(epochs, 1):
        assert sorted(ids) == list(range(40)), f"epoch {e} should visit each of the 40 examples once"
    assert epochs[0] != list(range(40)), "epoch 1 visits the examples in their stored order: use rng.permutation"
    assert epochs[0] != epochs[1], "both epochs use the same order: draw a fresh rng.permutation each epoch"


@TASK5
def test_fit_reaches_90_percent_on_5000_mnist_digits(mnist_subset):
    X, y, X_held_out, y_held_out = mnist_subset
    model = MLP([784, 128, 10], rng(22))
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices: one thread is faster
        losses = fit(model, X, y, epochs=5, batch_size=32, lr=0.05, momentum=0.9, rng=rng(23))
    assert np.mean(losses[:20]) > 2 * np.mean(losses[-20:]), "the training loss should fall"
    acc = accuracy(model, X_held_out, y_held_out)
    assert acc >= 0.90, f"accuracy on 2,000 held-out digits is {acc:.1%}; a working loop reaches 90%"
