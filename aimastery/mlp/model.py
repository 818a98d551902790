"""A NumPy MLP (layers in a row) and SGD with momentum as PyTorch does it.

Taught in Week 4 (book/week04_mlp.md); the layers are in
:mod:`aimastery.mlp.layers`, the training loop in :mod:`aimastery.mlp.train`.
"""

from __future__ import annotations

import numpy as np

from aimastery.mlp.layers import Linear, ReLU, Sigmoid

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid}


class MLP:
    """Linear -> activation -> ... -> Linear, returning logits.

    ``sizes = [784, 256, 128, 10]``: two hidden layers. ``backward`` takes
    dL/dlogits and leaves each parameter's gradient in its layer.
    """

    def __init__(self, sizes, *, activation="relu", init="he",
                 dtype=np.float32, rng):
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError("sizes lists every layer's width, input first, "
                             f"e.g. [784, 256, 128, 10]; got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}"
                             f", got {activation!r}")
        self.sizes = list(sizes)
        self.layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            self.layers.append(Linear(n_in, n_out, rng=rng, init=init,
                                      dtype=dtype, input_grad=i > 0))
            if i < len(sizes) - 2:
                self.layers.append(ACTIVATIONS[activation]())

    def forward(self, x):  # x: (B, sizes[0]) -> logits (B, sizes[-1])
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):  # grad: dL/dlogits (B, sizes[-1])
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    @property
    def linears(self) -> list[Linear]:
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    def parameters(self):
        """(parameter, gradient) pairs: each layer's weight, then bias."""
        return [pair for layer in self.linears for pair in layer.parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters named as in an ``nn.Sequential`` of the same layers."""
        return {f"{i}.{name}": getattr(layer, name)
                for i, layer in enumerate(self.layers)
                if isinstance(layer, Linear) for name in ("weight", "bias")}

    def flops_per_example(self) -> int:
        """Flops of one training step per example, in the matrix products.

        2 n_in n_out for the forward product and as much for dW and for dX
        in every layer, except dX of the first (its input is data).
        """
        per_layer = [2 * a * b for a, b in zip(self.sizes, self.sizes[1:])]
        return 3 * sum(per_layer) - per_layer[0]


class SGD:
    """As ``torch.optim.SGD``: v = momentum v + g, then p -= lr v."""

    def __init__(self, parameters, lr, momentum=0.0):
        if not lr > 0 or not 0 <= momentum < 1:
            raise ValueError("SGD needs lr > 0 and 0 <= momentum < 1, "
                             f"got lr={lr}, momentum={momentum}")
        self.parameters = parameters  # (parameter, gradient) pairs
        self.lr, self.momentum = lr, momentum
        self.velocity = [np.zeros_like(p) for p, _ in parameters]
        self._update = [np.empty_like(p) for p, _ in parameters]

    def step(self):
        for (p, g), v, update in zip(self.parameters, self.velocity,
                                     self._update):
            v *= self.momentum  # a Python float keeps v float32
            v += g
            np.multiply(v, self.lr, out=update)
            p -= update  # in place: the layer holds this very array
