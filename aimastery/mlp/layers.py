"""The layers of a NumPy MLP, each with its forward and backward pass side by side.

Taught in Week 4 (book/week04_mlp.md), which derives every backward pass
below in matrix form and checks it against finite differences and PyTorch.

Shapes: B examples in a batch, ``n_in`` inputs and ``n_out`` outputs per
layer. Parameters use PyTorch's layout and names (``weight`` is
``(n_out, n_in)``, ``bias`` is ``(n_out,)``, ``Y = X W^T + b``), so a trained
net copies into ``torch.nn.Linear`` by name.

Speed comes from doing the work in BLAS and not allocating: every result is
written with ``out=`` into a buffer the layer keeps (one per shape), and
nothing silently turns float32 into float64. So an array a layer returns is
overwritten by its next call with the same shape: copy it to keep it.
``backward`` never modifies its argument.
"""

from __future__ import annotations

import numpy as np


class Buffers:
    """Arrays reused from call to call, one per (name, shape, dtype)."""

    def __init__(self):
        self._arrays: dict[tuple, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        key = (name, shape, np.dtype(dtype))
        array = self._arrays.get(key)
        if array is None:
            array = self._arrays[key] = np.empty(shape, dtype=dtype)
        return array


def _check_input(name: str, x: np.ndarray, n_in: int, dtype) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != n_in:
        shape = getattr(x, "shape", type(x).__name__)
        raise ValueError(f"{name} expects a batch of shape (B, {n_in}), got {shape}")
    if x.dtype != dtype:
        raise TypeError(f"{name} holds {np.dtype(dtype)} parameters and needs {np.dtype(dtype)} inputs, got {x.dtype} "
                        "(mixing dtypes makes NumPy copy and upcast every batch)")


INITS = ("he", "glorot", "small")


def init_weight(n_in: int, n_out: int, init: str, rng: np.random.Generator, dtype) -> np.ndarray:
    """A ``(n_out, n_in)`` weight matrix drawn from a normal distribution.

    ``he``: std sqrt(2 / n_in), keeps a ReLU layer's activations at the same
    scale; ``glorot``: std sqrt(2 / (n_in + n_out)), for tanh and sigmoid;
    ``small``: std 0.01, the classic mistake that makes signals shrink.
    """
    std = {"he": np.sqrt(2 / n_in), "glorot": np.sqrt(2 / (n_in + n_out)), "small": 0.01}.get(init)
    if std is None:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    return (rng.standard_normal((n_out, n_in)) * std).astype(dtype)


class Linear:
    """``Y = X W^T + b``: X (B, n_in), W (n_out, n_in), b (n_out,), Y (B, n_out)."""

    def __init__(self, n_in: int, n_out: int, *, rng: np.random.Generator, init: str = "he",
                 dtype=np.float32, input_grad: bool = True):
        self.weight = init_weight(n_in, n_out, init, rng, dtype)  # (n_out, n_in)
        self.bias = np.zeros(n_out, dtype=dtype)  # (n_out,)
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)
        self.input_grad = input_grad  # the first layer needs no dL/dX: X is data
        self._buf = Buffers()

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_input("Linear", x, self.weight.shape[1], self.weight.dtype)
        self.x = x  # (B, n_in), kept for backward
        y = self._buf.get("y", (len(x), self.weight.shape[0]), x.dtype)
        np.matmul(x, self.weight.T, out=y)  # (B, n_out)
        y += self.bias  # broadcast over the batch
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
        """Set ``grad_weight``, ``grad_bias`` (overwritten, not accumulated); return dL/dX."""
        np.matmul(grad_y.T, self.x, out=self.grad_weight)  # (n_out, B) @ (B, n_in)
        np.sum(grad_y, axis=0, out=self.grad_bias)  # (n_out,)
        if not self.input_grad:
            return None
        grad_x = self._buf.get("grad_x", self.x.shape, grad_y.dtype)
        np.matmul(grad_y, self.weight, out=grad_x)  # (B, n_out) @ (n_out, n_in)
        return grad_x

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.weight, self.grad_weight), (self.bias, self.grad_bias)]


class ReLU:
    """``Y = max(X, 0)`` elementwise; its slope is 1 where X > 0, else 0."""

    def __init__(self):
        self._buf = Buffers()

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = self._buf.get("mask", x.shape, bool)
        np.greater(x, 0, out=self.mask)  # (B, n): where the unit is active
        y = self._buf.get("y", x.shape, x.dtype)
        return np.maximum(x, 0, out=y)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = self._buf.get("grad_x", grad_y.shape, grad_y.dtype)
        return np.multiply(grad_y, self.mask, out=grad_x)


class Sigmoid:
    """``Y = 1 / (1 + exp(-X))``; its slope is Y (1 - Y), at most 1/4."""

    def __init__(self):
        self._buf = Buffers()

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = self._buf.get("y", x.shape, x.dtype)
        np.negative(x, out=y)
        np.exp(y, out=y)  # overflows to inf for x < -88 in float32: 1 / inf = 0, as it should
        y += 1
        np.reciprocal(y, out=y)
        self.y = y
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = self._buf.get("grad_x", grad_y.shape, grad_y.dtype)
        np.subtract(1, self.y, out=grad_x)  # 1 - Y
        grad_x *= self.y  # Y (1 - Y)
        grad_x *= grad_y
        return grad_x


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(Z) against integer labels, like ``torch.nn.CrossEntropyLoss``.

    Z (B, C) are logits; ``forward`` returns the loss, a Python float;
    ``backward`` returns dL/dZ = (softmax(Z) - onehot(y)) / B.
    """

    def __init__(self):
        self._buf = Buffers()

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        if logits.ndim != 2 or y.shape != (len(logits),):
            raise ValueError(f"SoftmaxCrossEntropy expects logits (B, C) and labels (B,), "
                             f"got {logits.shape} and {np.shape(y)}")
        B, C = logits.shape
        if y.size and (y.min() < 0 or y.max() >= C):
            raise ValueError(f"labels must be class indices in 0..{C - 1}, got values from {y.min()} to {y.max()}")
        self.y = y
        self.rows = np.arange(B)
        shifted = self._buf.get("shifted", logits.shape, logits.dtype)
        np.subtract(logits, logits.max(axis=1, keepdims=True), out=shifted)  # max 0: exp cannot overflow
        probs = self._buf.get("probs", logits.shape, logits.dtype)
        np.exp(shifted, out=probs)
        total = probs.sum(axis=1)  # (B,), in [1, C]
        log_total = np.log(total)  # log-sum-exp minus the row max
        probs /= total[:, None]  # softmax
        self.probs = probs
        # -log softmax(z)_y = log sum_j exp(z_j - m) - (z_y - m)
        return float(np.mean(log_total - shifted[self.rows, y]))

    def backward(self) -> np.ndarray:
        grad = self._buf.get("grad", self.probs.shape, self.probs.dtype)
        np.copyto(grad, self.probs)
        grad[self.rows, self.y] -= 1  # p - onehot(y)
        grad *= grad.dtype.type(1 / len(grad))  # the mean over the batch
        return grad
