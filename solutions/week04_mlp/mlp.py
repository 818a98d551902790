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
        ### BEGIN SOLUTION: check x.ndim == 2 and x.shape[1] == n_in (else a ValueError naming the expected shape, e.g. "(B, 784)", and x.shape); keep x; return x @ W.T + b
        n_in = self.weight.shape[1]
        if x.ndim != 2 or x.shape[1] != n_in:
            raise ValueError(f"Linear expects input of shape (B, {n_in}), got {x.shape}")
        self.x = x  # (B, n_in)
        return x @ self.weight.T + self.bias  # (B, n_out)
        ### END SOLUTION

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Given dL/dY (B, n_out): set ``grad_weight`` and ``grad_bias``, return dL/dX (B, n_in)."""
        ### BEGIN SOLUTION: dW = grad_out.T @ x (n_out, n_in); db = grad_out summed over the batch; dX = grad_out @ W
        self.grad_weight = grad_out.T @ self.x  # (n_out, B) @ (B, n_in)
        self.grad_bias = grad_out.sum(axis=0)  # (n_out,)
        return grad_out @ self.weight  # (B, n_out) @ (n_out, n_in)
        ### END SOLUTION

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [("weight", self.weight, self.grad_weight), ("bias", self.bias, self.grad_bias)]


class ReLU:
    """``Y = max(X, 0)`` elementwise."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION: remember where x > 0; return the elementwise max of x and 0
        self.mask = x > 0  # (B, n)
        return np.maximum(x, 0)
        ### END SOLUTION

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION: the slope is 1 where the input was > 0 and 0 elsewhere (also at exactly 0)
        return grad_out * self.mask
        ### END SOLUTION

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
        ### BEGIN SOLUTION: shift each row by its max; log_probs = shifted - log(sum(exp(shifted))); loss = -mean of log_probs[row, y[row]]; keep the softmax and y
        if logits.ndim != 2 or y.shape != (logits.shape[0],):
            raise ValueError(f"expected logits (B, C) and labels (B,), got {logits.shape} and {y.shape}")
        shifted = logits - logits.max(axis=1, keepdims=True)  # (B, C), max 0
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (B, C)
        self.probs = np.exp(log_probs)  # softmax
        self.y = y
        return float(-log_probs[np.arange(len(y)), y].mean())
        ### END SOLUTION

    def backward(self) -> np.ndarray:
        """dL/dlogits (B, C) of the mean loss: (softmax - onehot(y)) / B."""
        ### BEGIN SOLUTION: start from a copy of the softmax, subtract 1 at each row's true class, divide by B
        grad = self.probs.copy()
        grad[np.arange(len(self.y)), self.y] -= 1
        return grad / len(self.y)
        ### END SOLUTION


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
        ### BEGIN SOLUTION: for each (name, p, g): v = momentum * v + g (keep it in self.velocity[name]); p -= lr * v, in place so the layer sees it
        for name, p, g in self.model.parameters():
            v = self.velocity[name]
            v *= self.momentum
            v += g
            p -= self.lr * v
        ### END SOLUTION


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
    ### BEGIN SOLUTION: for each epoch, for each batch of a fresh permutation: logits = model.forward(xb); loss = loss_fn.forward(logits, yb); model.backward(loss_fn.backward()); optimizer.step(); append the loss
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            logits = model.forward(X[idx])
            losses.append(loss_fn.forward(logits, y[idx]))
            model.backward(loss_fn.backward())
            optimizer.step()
    ### END SOLUTION
    return losses


def accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of ``X`` (N, D) whose highest logit is the label."""
    return float(np.mean(model.forward(X).argmax(axis=1) == y))
