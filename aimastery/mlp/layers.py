"""The layers of a NumPy MLP, forward and backward side by side.

Taught in Week 4 (book/week04_mlp.md), which derives every backward pass
below in matrix form, shows this code and checks it against finite
differences and PyTorch.

Shapes: B examples in a batch, ``n_in`` inputs and ``n_out`` outputs per
layer, C classes. Parameters use PyTorch's names and layout (``weight`` is
``(n_out, n_in)``, ``bias`` is ``(n_out,)``, ``Y = X W^T + b``), so a
trained net copies into ``torch.nn.Linear`` by name.

Speed comes from leaving the work to BLAS and not allocating: each result
is written with ``out=`` into a buffer the layer keeps (one per shape), and
nothing turns float32 into float64 by accident. So an array a layer returns
is overwritten by its next call with the same shape: copy it to keep it.
``backward`` never modifies its argument.
"""

from __future__ import annotations

import numpy as np


class Buffers:
    """Arrays reused from call to call, one per (name, shape, dtype)."""

    def __init__(self):
        self._arrays: dict[tuple, np.ndarray] = {}

    def get(self, name: str, shape: tuple, dtype) -> np.ndarray:
        key = (name, shape, np.dtype(dtype))
        if key not in self._arrays:
            self._arrays[key] = np.empty(shape, dtype=dtype)
        return self._arrays[key]


INITS = ("he", "glorot", "small")


def init_weight(n_in: int, n_out: int, init: str,
                rng: np.random.Generator, dtype) -> np.ndarray:
    """A ``(n_out, n_in)`` weight matrix drawn from a normal distribution.

    ``he``: std sqrt(2 / n_in), keeps a ReLU layer's output at the scale of
    its input; ``glorot``: std sqrt(2 / (n_in + n_out)), made for tanh and
    sigmoid; ``small``: std 0.01, the classic mistake.
    """
    std = {"he": np.sqrt(2 / n_in), "glorot": np.sqrt(2 / (n_in + n_out)),
           "small": 0.01}.get(init)
    if std is None:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    return (rng.standard_normal((n_out, n_in)) * std).astype(dtype)


class Linear:
    """Y = X W^T + b, for X (B, n_in), W (n_out, n_in) and b (n_out,)."""

    def __init__(self, n_in, n_out, *, rng, init="he", dtype=np.float32,
                 input_grad=True):
        self.weight = init_weight(n_in, n_out, init, rng, dtype)
        self.bias = np.zeros(n_out, dtype=dtype)
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)
        self.input_grad = input_grad  # the first layer's input is data
        self._buf = Buffers()

    def forward(self, x):
        n_out, n_in = self.weight.shape
        if x.ndim != 2 or x.shape[1] != n_in:
            raise ValueError(f"Linear expects (B, {n_in}), got {x.shape}")
        if x.dtype != self.weight.dtype:
            raise TypeError(f"Linear holds {self.weight.dtype} weights, "
                            f"got {x.dtype} input (a copy per call)")
        self.x = x  # (B, n_in), kept for backward
        y = self._buf.get("y", (len(x), n_out), x.dtype)
        np.matmul(x, self.weight.T, out=y)  # Y: (B, n_out)
        y += self.bias  # broadcast over the batch
        return y

    def backward(self, grad_y):
        """Store dL/dW, dL/db (overwriting, not adding); return dL/dX."""
        # (n_out, B) @ (B, n_in) -> (n_out, n_in)
        np.matmul(grad_y.T, self.x, out=self.grad_weight)
        np.sum(grad_y, axis=0, out=self.grad_bias)  # (n_out,)
        if not self.input_grad:
            return None
        grad_x = self._buf.get("grad_x", self.x.shape, grad_y.dtype)
        # (B, n_out) @ (n_out, n_in) -> (B, n_in)
        return np.matmul(grad_y, self.weight, out=grad_x)

    def parameters(self):
        return [(self.weight, self.grad_weight),
                (self.bias, self.grad_bias)]


class ReLU:
    """Y = max(X, 0) elementwise; its slope is 1 where X > 0, else 0."""

    def __init__(self):
        self._buf = Buffers()

    def forward(self, x):
        self.mask = self._buf.get("mask", x.shape, bool)
        np.greater(x, 0, out=self.mask)  # (B, n): the active units
        y = self._buf.get("y", x.shape, x.dtype)
        return np.maximum(x, 0, out=y)

    def backward(self, grad_y):
        grad_x = self._buf.get("grad_x", grad_y.shape, grad_y.dtype)
        return np.multiply(grad_y, self.mask, out=grad_x)


class Sigmoid:
    """Y = 1 / (1 + exp(-X)); its slope is Y (1 - Y), at most 1/4."""

    def __init__(self):
        self._buf = Buffers()

    def forward(self, x):
        y = self._buf.get("y", x.shape, x.dtype)
        np.negative(x, out=y)
        with np.errstate(over="ignore"):  # exp(89) = inf in float32: fine
            np.exp(y, out=y)
        y += 1
        self.y = np.reciprocal(y, out=y)  # 1 / inf = 0, as it should
        return self.y

    def backward(self, grad_y):
        grad_x = self._buf.get("grad_x", grad_y.shape, grad_y.dtype)
        np.subtract(1, self.y, out=grad_x)  # 1 - Y
        grad_x *= self.y  # Y (1 - Y)
        grad_x *= grad_y
        return grad_x


class SoftmaxCrossEntropy:
    """Mean of -log softmax(Z)[y], like ``torch.nn.CrossEntropyLoss``.

    Z (B, C) are logits and y (B,) integer labels; ``forward`` returns the
    loss as a Python float; ``backward`` dL/dZ = (softmax(Z) - onehot)/B.
    """

    def __init__(self):
        self._buf = Buffers()

    def forward(self, logits, y):
        B, C = logits.shape
        if y.shape != (B,):
            raise ValueError(f"logits {logits.shape} need labels of "
                             f"shape ({B},), got {y.shape}")
        if B and not 0 <= y.min() <= y.max() < C:
            raise ValueError(f"labels must be classes 0..{C - 1}, "
                             f"got {y.min()}..{y.max()}")
        self.y, self.rows = y, np.arange(B)
        # the log-sum-exp trick: with each row's max at 0, exp <= 1
        z = self._buf.get("z", (B, C), logits.dtype)
        np.subtract(logits, logits.max(axis=1, keepdims=True), out=z)
        p = self._buf.get("p", (B, C), logits.dtype)
        np.exp(z, out=p)
        total = p.sum(axis=1)  # (B,), between 1 and C
        p /= total[:, None]  # softmax, kept for backward
        self.probs = p
        # -log softmax(z)[y] = log(sum_j exp(z_j)) - z_y
        return float(np.mean(np.log(total) - z[self.rows, y]))

    def backward(self):
        grad = self._buf.get("grad", self.probs.shape, self.probs.dtype)
        np.copyto(grad, self.probs)
        grad[self.rows, self.y] -= 1  # p - onehot(y)
        grad *= grad.dtype.type(1 / len(grad))  # the mean over the batch
        return grad
