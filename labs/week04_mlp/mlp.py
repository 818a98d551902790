"""Lab 4 — a multilayer perceptron in NumPy, forward and backward.

Each layer has a ``forward`` that computes its output and keeps what its
``backward`` will need, and a ``backward`` that receives dL/d(output) and
returns dL/d(input), storing the gradients of its parameters on the way.
Parameters use PyTorch's names and layout: ``weight`` is ``(n_out, n_in)``,
``bias`` is ``(n_out,)`` and a Linear layer computes ``X @ weight.T + bias``.

Taught in Week 4 (book/week04_mlp.md). Your tasks are the regions that
raise ``NotImplementedError``; ``make lab-check WEEK=04`` tells you how far
you are. Write it plainly: this is the version that teaches. (The chapter's
fast version, :mod:`aimastery.mlp`, adds buffer reuse on top.)

Shapes: B examples per batch, ``n_in`` inputs and ``n_out`` outputs per
layer, C classes.
"""

from __future__ import annotations

import numpy as np


class Linear:
    """``Y = X W^T + b``: X (B, n_in), W (n_out, n_in), b (n_out,), Y (B, n_out)."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, dtype=np.float32):
        # He initialisation: keeps the scale of a ReLU network's activations from layer to layer
        self.weight = (rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)).astype(dtype)
        self.bias = np.zeros(n_out, dtype=dtype)
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return ``x @ W^T + b``; keep ``x`` for backward.

        Raise ``ValueError`` if ``x`` is not a 2-d array whose second
        dimension is ``n_in``, with a message that names the expected shape
        as ``(B, n_in)`` (e.g. ``(B, 784)``) and the shape it got.
        """
        # TODO: Y = X W^T + b, with X (B, n_in), W (n_out, n_in), b (n_out,): the chapter's linear layer
        #       (Week 4, "The linear layer"). Check the input's shape first, and keep what backward will need.
        # Stuck? One more hint at a time: make lab-check WEEK=04 HINT=2 (in the notebook: check(1, hint=2))
        raise NotImplementedError('Lab 4 · Linear.forward in mlp.py: not implemented yet (the TODO just above says what to write)')

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Given dL/dY (B, n_out): set ``grad_weight`` and ``grad_bias``, return dL/dX (B, n_in)."""
        # TODO: The chapter's three gradients of Y = X W^T + b (Week 4, "The linear layer"): with respect to
        #       W, to b and to X. Let the shapes decide each product: dW has W's shape, dX has X's.
        # Stuck? One more hint at a time: make lab-check WEEK=04 HINT=2 (in the notebook: check(1, hint=2))
        raise NotImplementedError('Lab 4 · Linear.backward in mlp.py: not implemented yet (the TODO just above says what to write)')

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [("weight", self.weight, self.grad_weight), ("bias", self.bias, self.grad_bias)]


class ReLU:
    """``Y = max(X, 0)`` elementwise."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        # TODO: ReLU is max(x, 0) elementwise; backward will need to know where the input was positive.
        # Stuck? One more hint at a time: make lab-check WEEK=04 HINT=2 (in the notebook: check(2, hint=2))
        raise NotImplementedError('Lab 4 · ReLU.forward in mlp.py: not implemented yet (the TODO just above says what to write)')

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # TODO: The slope of ReLU is 1 where its input was positive and 0 elsewhere, also at exactly 0
        #       (PyTorch's choice): the gradient passes or stops, elementwise.
        # Stuck? One more hint at a time: make lab-check WEEK=04 HINT=2 (in the notebook: check(2, hint=2))
        raise NotImplementedError('Lab 4 · ReLU.backward in mlp.py: not implemented yet (the TODO just above says what to write)')

    def parameters(self) -> list:
        return []


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(logits) against integer labels, like ``torch.nn.CrossEntropyLoss``."""

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        """Logits (B, C) and labels (B,) of ints in 0..C-1 -> the mean loss, a Python float.

        Use the log-sum-exp trick (subtract each row's max before ``exp``) so
        that large logits do not overflow. Raise ``ValueError`` when ``y`` is
        not of shape ``(B,)``, naming both shapes. Keep what backward needs.
        """
        # TODO: Mean over the batch of -log softmax(logits)[i, y[i]], computed stably: the log-sum-exp
        #       trick of Week 2. Check y's shape first (B,), and keep what backward needs (the softmax and y).
        # Stuck? One more hint at a time: make lab-check WEEK=04 HINT=2 (in the notebook: check(3, hint=2))
        raise NotImplementedError('Lab 4 · SoftmaxCrossEntropy.forward in mlp.py: not implemented yet (the TODO just above says what to write)')

    def backward(self) -> np.ndarray:
        """dL/dlogits (B, C) of the mean loss: (softmax - onehot(y)) / B."""
        # TODO: dL/dlogits of the mean loss is (softmax - onehot(y)) / B (Week 4, "Softmax and cross-entropy").
        # Stuck? One more hint at a time: make lab-check WEEK=04 HINT=2 (in the notebook: check(3, hint=2))
        raise NotImplementedError('Lab 4 · SoftmaxCrossEntropy.backward in mlp.py: not implemented yet (the TODO just above says what to write)')


class MLP:
    """Linear -> ReLU -> ... -> Linear; ``sizes = [784, 128, 10]`` has one hidden layer."""

    def __init__(self, sizes: list[int], rng: np.random.Generator, dtype=np.float32):
        self.layers: list = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            self.layers.append(Linear(n_in, n_out, rng, dtype))
            if i < len(sizes) - 2:
                self.layers.append(ReLU())

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(name, parameter, gradient), fetched anew after each backward (it may replace the gradients)."""
        return [(f"{i}.{name}", p, g) for i, layer in enumerate(self.layers) for name, p, g in layer.parameters()]


class SGD:
    """SGD with momentum, as ``torch.optim.SGD``: ``v = momentum * v + grad``, then ``p -= lr * v``."""

    def __init__(self, model: MLP, lr: float, momentum: float = 0.9):
        self.model, self.lr, self.momentum = model, lr, momentum
        self.velocity = {name: np.zeros_like(p) for name, p, _ in model.parameters()}

    def step(self) -> None:
        """Update every parameter of the model in place from its current gradient."""
        # TODO: SGD with momentum as the chapter writes it (Week 4, "Training: SGD with momentum"):
        #       a velocity per parameter, v = momentum * v + g, then p = p - lr * v.
        # Stuck? One more hint at a time: make lab-check WEEK=04 HINT=2 (in the notebook: check(4, hint=2))
        raise NotImplementedError('Lab 4 · SGD.step in mlp.py: not implemented yet (the TODO just above says what to write)')


def fit(model: MLP, X: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, lr: float,
        momentum: float = 0.9, rng: np.random.Generator) -> list[float]:
    """Train ``model`` on ``X`` (N, D), ``y`` (N,) with mini-batch SGD; return each step's loss.

    Every epoch visits the examples once in a new random order
    (``rng.permutation``), ``batch_size`` at a time (the last batch may be
    smaller). Each step: forward, loss, backward, optimizer step.
    """
    loss_fn = SoftmaxCrossEntropy()
    optimizer = SGD(model, lr=lr, momentum=momentum)
    losses: list[float] = []
    # TODO: The training loop of the chapter: epochs of mini-batches, each a forward pass, the loss,
    #       a backward pass and one optimizer step; return the list of every step's loss.
    # Stuck? One more hint at a time: make lab-check WEEK=04 HINT=2 (in the notebook: check(5, hint=2))
    raise NotImplementedError('Lab 4 · fit in mlp.py: not implemented yet (the TODO just above says what to write)')
    return losses


def accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of ``X`` (N, D) whose highest logit is the label."""
    return float(np.mean(model.forward(X).argmax(axis=1) == y))
