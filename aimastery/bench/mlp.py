"""The NumPy MLP against its PyTorch twin on full MNIST: seconds per epoch, and accuracy.

Taught in Week 4 (book/week04_mlp.md), whose training run *is*
:func:`compare` (on one thread); ``make bench ONLY=mlp`` runs it with the
same settings, once with every core and once with one thread.

Both implementations train the identical network (same initial weights,
same float32 data, same batches in the same order, same learning rates).
Their epochs alternate in one process (NumPy then PyTorch on even epochs,
PyTorch then NumPy on odd ones), and the speed figure is the median of the
per-epoch time ratios, so that the machine's noise, which moves both
timings of one epoch together, cancels. Only the training epoch is timed;
evaluation is not.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from aimastery.config import SEED
from aimastery.data.mnist import MNIST, load_mnist
from aimastery.mlp import torch_twin
from aimastery.mlp.layers import Buffers, SoftmaxCrossEntropy
from aimastery.mlp.model import MLP, SGD
from aimastery.mlp.train import Scores, batch_order, cosine_lr, evaluate, train_epoch

#: The network and its training, shared by the chapter and the benchmark.
SIZES = [784, 256, 128, 10]
EPOCHS = 8
BATCH_SIZE = 128
LR = 0.1  # peak learning rate, decaying on a half cosine over the epochs
MOMENTUM = 0.9


@dataclass
class History:
    """Per-epoch figures of one implementation."""

    seconds: list[float] = field(default_factory=list)  # training time of each epoch
    train: list[Scores] = field(default_factory=list)  # running loss and accuracy during the epoch
    val: list[Scores] = field(default_factory=list)  # after the epoch


@dataclass
class Comparison:
    """Both implementations trained side by side; see :func:`compare`."""

    sizes: list[int]
    epochs: int
    batch_size: int
    numpy: History
    torch: History
    numpy_test: Scores
    torch_test: Scores
    flops_per_epoch: int
    numpy_model: MLP = field(repr=False)
    torch_model: object = field(repr=False)

    @property
    def ratios(self) -> list[float]:
        """NumPy's time over PyTorch's, epoch by epoch."""
        return [a / b for a, b in zip(self.numpy.seconds, self.torch.seconds)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def numpy_s_per_epoch(self) -> float:
        return statistics.median(self.numpy.seconds)

    @property
    def torch_s_per_epoch(self) -> float:
        return statistics.median(self.torch.seconds)

    def gflops(self, seconds: float) -> float:
        """Achieved GFLOP/s of an epoch that took ``seconds`` (matrix products only)."""
        return self.flops_per_epoch / seconds / 1e9


def compare(data: MNIST, *, sizes: list[int] = SIZES, epochs: int = EPOCHS, batch_size: int = BATCH_SIZE,
            lr: float = LR, momentum: float = MOMENTUM, seed: int = SEED, threads: int | None = None) -> Comparison:
    """Train the NumPy MLP and its PyTorch twin identically, alternating epoch by epoch.

    ``threads``: how many threads both BLAS libraries may use (NumPy's and
    PyTorch's), restored afterwards; None leaves the current settings.
    """
    import torch

    if threads is None:
        return _compare(data, sizes, epochs, batch_size, lr, momentum, seed)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            return _compare(data, sizes, epochs, batch_size, lr, momentum, seed)
    finally:
        torch.set_num_threads(before)


def _compare(data, sizes, epochs, batch_size, lr, momentum, seed) -> Comparison:
    import torch

    model = MLP(sizes, rng=np.random.default_rng(seed))
    net = torch_twin.to_torch(model)  # the same initial weights
    opt_np = SGD(model.parameters(), lr=lr, momentum=momentum)
    opt_t = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    X_t, y_t = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    Xv_t, yv_t = torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)
    loss_fn, buffers = SoftmaxCrossEntropy(), Buffers()
    hist_np, hist_t = History(), History()

    def numpy_epoch(order):
        start = time.perf_counter()
        scores = train_epoch(model, opt_np, data.X_train, data.y_train, order, batch_size, loss_fn, buffers)
        hist_np.seconds.append(time.perf_counter() - start)
        hist_np.train.append(scores)

    def torch_epoch(order):
        start = time.perf_counter()
        scores = torch_twin.train_epoch(net, opt_t, X_t, y_t, order, batch_size)
        hist_t.seconds.append(time.perf_counter() - start)
        hist_t.train.append(scores)

    for epoch in range(epochs):
        opt_np.lr = cosine_lr(lr, epoch, epochs)
        for group in opt_t.param_groups:
            group["lr"] = opt_np.lr
        order = batch_order(len(data.X_train), epoch, seed)
        first, second = (numpy_epoch, torch_epoch) if epoch % 2 == 0 else (torch_epoch, numpy_epoch)
        first(order)
        second(order)
        hist_np.val.append(evaluate(model, data.X_val, data.y_val))
        hist_t.val.append(torch_twin.evaluate(net, Xv_t, yv_t))

    return Comparison(
        sizes=list(sizes), epochs=epochs, batch_size=batch_size, numpy=hist_np, torch=hist_t,
        numpy_test=evaluate(model, data.X_test, data.y_test),
        torch_test=torch_twin.evaluate(net, torch.from_numpy(data.X_test), torch.from_numpy(data.y_test)),
        flops_per_epoch=model.flops_per_example() * len(data.X_train),
        numpy_model=model, torch_model=net,
    )


def run() -> dict:
    """The required figures with every core (the machine's default threads), then the same with one thread.

    On a busy machine, BLAS threads that lose their core spin while they
    wait for each other, and the all-core figures degrade far more than the
    load explains; the one-thread figures stay meaningful there.
    """
    import torch

    from aimastery.bench.matmul import measure_matmul_gflops

    load_before = os.getloadavg()[0]
    data = load_mnist()
    result = compare(data)
    figures = {
        "numpy_s_per_epoch": round(result.numpy_s_per_epoch, 3),
        "torch_s_per_epoch": round(result.torch_s_per_epoch, 3),
        "ratio": round(result.ratio, 3),
        "numpy_test_acc": round(result.numpy_test.accuracy, 4),
        "torch_test_acc": round(result.torch_test.accuracy, 4),
        "epochs": result.epochs,
        "numpy_gflops": round(result.gflops(result.numpy_s_per_epoch), 1),
        "torch_gflops": round(result.gflops(result.torch_s_per_epoch), 1),
        "matmul_gflops": round(measure_matmul_gflops(), 1),
        "threads": torch.get_num_threads(),
    }
    one = compare(data, threads=1)
    with threadpool_limits(limits=1, user_api="blas"):
        matmul_one = measure_matmul_gflops()
    figures |= {
        "numpy_s_per_epoch_1_thread": round(one.numpy_s_per_epoch, 3),
        "torch_s_per_epoch_1_thread": round(one.torch_s_per_epoch, 3),
        "ratio_1_thread": round(one.ratio, 3),
        "numpy_gflops_1_thread": round(one.gflops(one.numpy_s_per_epoch), 1),
        "matmul_gflops_1_thread": round(matmul_one, 1),
        "load_average_before": round(load_before, 2),  # 1-minute load, to judge the noise
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    return figures
