"""A NumPy MLP (layers in a row) and SGD with momentum, PyTorch's formulation.

Taught in Week 4 (book/week04_mlp.md); the layers are in
:mod:`aimastery.mlp.layers`, the training loop in :mod:`aimastery.mlp.train`.
"""

from __future__ import annotations

import numpy as np

from aimastery.mlp.layers import Linear, ReLU, Sigmoid

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid}


class MLP:
    """``Linear -> act -> ... -> Linear``: ``sizes = [784, 512, 256, 10]`` makes two hidden layers.

    ``forward`` returns the logits (B, sizes[-1]); ``backward`` takes dL/dlogits
    and leaves every parameter's gradient in place (overwritten, not added).
    """

    def __init__(self, sizes: list[int], *, activation: str = "relu", init: str = "he",
                 dtype=np.float32, rng: np.random.Generator):
        if len(sizes) < 2 or any(int(n) != n or n < 1 for n in sizes):
            raise ValueError(f"sizes lists the width of every layer, input first, e.g. [784, 512, 256, 10]; got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.sizes = list(sizes)
        self.layers: list = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            self.layers.append(Linear(n_in, n_out, rng=rng, init=init, dtype=dtype, input_grad=i > 0))
            if i < len(sizes) - 2:
                self.layers.append(ACTIVATIONS[activation]())

    @property
    def linears(self) -> list[Linear]:
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray) -> None:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(parameter, its gradient) pairs, in PyTorch's order (each layer's weight, then bias)."""
        return [pair for layer in self.linears for pair in layer.parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters named as in ``torch.nn.Sequential`` of the same layers (``0.weight``, ...)."""
        return {f"{i}.{name}": getattr(layer, name) for i, layer in enumerate(self.layers)
                if isinstance(layer, Linear) for name in ("weight", "bias")}

    def flops_per_example(self) -> int:
        """Multiply-adds x 2 of one training step per example: forward, dW, and dX (not for the input)."""
        per_layer = [2 * a * b for a, b in zip(self.sizes, self.sizes[1:])]
        return 3 * sum(per_layer) - per_layer[0]


class SGD:
    """SGD with momentum as ``torch.optim.SGD`` does it: ``v = momentum v + g``, ``p -= lr v``."""

    def __init__(self, parameters: list[tuple[np.ndarray, np.ndarray]], lr: float, momentum: float = 0.0):
        if lr <= 0 or not 0 <= momentum < 1:
            raise ValueError(f"SGD needs lr > 0 and 0 <= momentum < 1, got lr={lr}, momentum={momentum}")
        self.parameters = parameters
        self.lr, self.momentum = lr, momentum
        self.velocity = [np.zeros_like(p) for p, _ in parameters]
        self._step = [np.empty_like(p) for p, _ in parameters]

    def step(self) -> None:
        for (p, g), v, step in zip(self.parameters, self.velocity, self._step):
            v *= p.dtype.type(self.momentum)  # a Python float would be fine too: NumPy keeps float32
            v += g
            np.multiply(v, p.dtype.type(self.lr), out=step)
            p -= step
