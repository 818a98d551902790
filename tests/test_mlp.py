"""The NumPy MLP of aimastery.mlp: gradients, buffers, the PyTorch twin, the benchmark's measurement."""

import numpy as np
import pytest
import torch

from aimastery.bench.mlp import compare
from aimastery.checks import assert_close, check_gradient
from aimastery.data.mnist import MNIST
from aimastery.mlp import torch_twin
from aimastery.mlp.layers import Linear, ReLU, Sigmoid, SoftmaxCrossEntropy, init_weight
from aimastery.mlp.model import MLP, SGD
from aimastery.mlp.train import batch_order, cosine_lr, evaluate, predict_proba, train_epoch


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("layer_cls", [ReLU, Sigmoid])
def test_activation_gradients(layer_cls):
    x = rng(1).standard_normal((5, 7))
    x[np.abs(x) < 0.05] = 0.3  # off ReLU's kink
    upstream = rng(2).standard_normal((5, 7))
    layer = layer_cls()
    layer.forward(x)
    analytic = layer.backward(upstream).copy()
    check_gradient(lambda _: float(np.sum(upstream * layer_cls().forward(x))), x, analytic, tol=1e-7)


def test_linear_gradients_and_no_input_grad():
    layer = Linear(6, 4, rng=rng(3), dtype=np.float64)
    layer.bias[:] = rng(4).standard_normal(4)
    x, upstream = rng(5).standard_normal((3, 6)), rng(6).standard_normal((3, 4))

    def loss(_):
        return float(np.sum(upstream * layer.forward(x)))

    layer.forward(x)
    grad_x = layer.backward(upstream).copy()
    gw, gb = layer.grad_weight.copy(), layer.grad_bias.copy()
    check_gradient(loss, x, grad_x, tol=1e-7)
    check_gradient(loss, layer.weight, gw, tol=1e-7)
    check_gradient(loss, layer.bias, gb, tol=1e-7)
    first = Linear(6, 4, rng=rng(3), dtype=np.float64, input_grad=False)
    first.forward(x)
    assert first.backward(upstream) is None
    assert_close(first.grad_weight, gw, rtol=1e-12)


def test_cross_entropy_matches_torch_and_survives_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [2.0, -1.0, 0.5], [0.0, 800.0, 790.0]])
    y = np.array([2, 0, 2])
    loss_fn = SoftmaxCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = loss_fn.forward(logits, y)
        grad = loss_fn.backward()
    lt = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(lt, torch.from_numpy(y))
    expected.backward()
    assert_close(loss, expected.item(), rtol=1e-12)
    assert_close(grad, lt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_network_matches_torch_autograd_in_float64():
    model = MLP([9, 8, 7, 4], rng=rng(7), dtype=np.float64)
    x, y = rng(8).standard_normal((6, 9)), np.array([0, 1, 2, 3, 3, 0])
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(model.forward(x), y)
    model.backward(loss_fn.backward())
    net = torch_twin.to_torch(model)
    expected = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
    expected.backward()
    assert_close(loss, expected.item(), rtol=1e-12)
    for (_, grad), p in zip(model.parameters(), net.parameters()):
        assert_close(grad, p.grad.numpy(), rtol=1e-9, atol=1e-14)


def test_sgd_follows_torch_for_several_steps():
    model = MLP([5, 6, 3], rng=rng(9), dtype=np.float64)
    net = torch_twin.to_torch(model)
    opt = SGD(model.parameters(), lr=0.2, momentum=0.9)
    topt = torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
    loss_fn = SoftmaxCrossEntropy()
    for step in range(5):
        x, y = rng(10 + step).standard_normal((4, 5)), rng(20 + step).integers(0, 3, 4)
        opt.lr = topt.param_groups[0]["lr"] = 0.2 / (step + 1)
        loss_fn.forward(model.forward(x), y)
        model.backward(loss_fn.backward())
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    for (p, _), tp in zip(model.parameters(), net.parameters()):
        assert_close(p, tp.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_float32_stays_float32_and_buffers_are_reused():
    model = MLP([10, 16, 3], rng=rng(11))
    x = rng(12).random((8, 10), dtype=np.float32)
    out1 = model.forward(x)
    assert out1.dtype == np.float32
    out2 = model.forward(x)
    assert out2 is out1, "the same shape reuses the same output buffer"
    assert model.forward(x[:5]).shape == (5, 3), "another batch size gets its own buffer"
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(model.forward(x), np.zeros(8, dtype=np.int64))
    grad = loss_fn.backward()
    before = grad.copy()
    model.backward(grad)
    assert np.array_equal(grad, before), "backward does not modify its argument"
    assert all(g.dtype == np.float32 for _, g in model.parameters())


def test_clear_errors():
    layer = Linear(4, 2, rng=rng(13))
    with pytest.raises(ValueError, match=r"expects \(B, 4\), got \(3, 5\)"):
        layer.forward(np.zeros((3, 5), np.float32))
    with pytest.raises(TypeError, match="float32 weights, got float64 input"):
        layer.forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"need labels of shape \(3,\), got \(4,\)"):
        SoftmaxCrossEntropy().forward(np.zeros((3, 10)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"labels must be classes 0..9, got 0..10"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 10)), np.array([0, 10]))
    with pytest.raises(ValueError, match="init must be one of"):
        init_weight(3, 2, "zeros", rng(), np.float32)
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP([3, 2], activation="tanh", rng=rng())
    with pytest.raises(ValueError, match="SGD needs lr > 0"):
        SGD([], lr=0.0)


def test_he_init_keeps_relu_activations_at_scale():
    x = rng(14).standard_normal((2000, 256)).astype(np.float32)
    for init, lo, hi in [("he", 0.5, 2.0), ("small", 0.0, 1e-3)]:
        h = x
        for _ in range(6):
            h = np.maximum(h @ init_weight(256, 256, init, rng(15), np.float32).T, 0)
        assert lo < np.sqrt(np.mean(h**2)) < hi, init


def test_flops_count():
    assert MLP([784, 512, 256, 10], rng=rng()).flops_per_example() == \
        3 * 2 * (784 * 512 + 512 * 256 + 256 * 10) - 2 * 784 * 512


def test_schedule_and_order():
    assert cosine_lr(0.1, 0, 10) == pytest.approx(0.1) and cosine_lr(0.1, 5, 10) == pytest.approx(0.05)
    assert np.array_equal(batch_order(50, 3, 0), batch_order(50, 3, 0))
    assert not np.array_equal(batch_order(50, 3, 0), batch_order(50, 4, 0))
    assert sorted(batch_order(50, 3, 0)) == list(range(50))


def small_mnist_like(seed=0):
    """A learnable 10-class problem: noisy copies of 10 random prototypes."""
    r = rng(seed)
    prototypes = r.random((10, 784), dtype=np.float32)

    def draw(n):
        y = r.integers(0, 10, n)
        return np.clip(prototypes[y] + 0.3 * r.standard_normal((n, 784), dtype=np.float32), 0, 1), y

    (xt, yt), (xv, yv), (xs, ys) = draw(1200), draw(300), draw(300)
    return MNIST(xt, yt, xv, yv, xs, ys)


def test_train_epoch_and_evaluate_learn():
    data = small_mnist_like()
    model = MLP([784, 32, 10], rng=rng(1))
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    before = evaluate(model, data.X_val, data.y_val)
    scores = train_epoch(model, opt, data.X_train, data.y_train, batch_order(1200, 0, 0), 64)
    after = evaluate(model, data.X_val, data.y_val)
    assert 0 <= scores.accuracy <= 1 and after.loss < before.loss and after.accuracy > 0.9
    probs = predict_proba(model, data.X_val, batch_size=128)
    assert probs.shape == (300, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


def test_compare_trains_both_identically():
    result = compare(small_mnist_like(), sizes=[784, 32, 10], epochs=3, batch_size=50, lr=0.05, threads=1)
    assert len(result.numpy.seconds) == len(result.torch.seconds) == len(result.ratios) == 3
    assert result.ratio == pytest.approx(float(np.median(result.ratios)))
    for a, b in zip(result.numpy.train, result.torch.train):
        assert a.loss == pytest.approx(b.loss, rel=1e-3), "same weights, same batches: the same losses"
    assert abs(result.numpy_test.accuracy - result.torch_test.accuracy) < 0.01
    assert result.flops_per_epoch == result.numpy_model.flops_per_example() * 1200
    assert result.gflops(result.numpy_s_per_epoch) > 0


def test_bench_run_reports_the_required_keys(monkeypatch):
    import aimastery.bench.matmul
    import aimastery.bench.mlp as bench

    monkeypatch.setattr(bench, "load_mnist", small_mnist_like)
    monkeypatch.setattr(aimastery.bench.matmul, "measure_matmul_gflops", lambda: 100.0)
    full_size = bench.compare
    monkeypatch.setattr(bench, "compare", lambda data, **kw: full_size(data, sizes=[784, 16, 10], epochs=2, **kw))
    figures = bench.run()
    required = {"numpy_s_per_epoch", "torch_s_per_epoch", "ratio", "numpy_test_acc", "torch_test_acc", "epochs"}
    assert required <= set(figures) and figures["epochs"] == 2
    assert {"numpy_gflops", "matmul_gflops", "ratio_1_thread"} <= set(figures)
    assert all(isinstance(v, (int, float)) for v in figures.values())
    assert torch.get_num_threads() == figures["threads"], "the one-thread run restores the thread count"
