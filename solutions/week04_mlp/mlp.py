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
        ### BEGIN SOLUTION (Task 1)
        ### HINT 1: Y = X W^T + b, with X (B, n_in), W (n_out, n_in), b (n_out,): the chapter's linear layer
        ###         (Week 4, "The linear layer"). Check the input's shape first, and keep what backward will need.
        ### HINT 2: Refuse anything but a 2-D x whose second dimension is n_in = self.weight.shape[1], with a
        ###         ValueError naming the expected shape as (B, n_in), e.g. (B, 784), and the shape it got. Keep x
        ###         as self.x: backward's dW needs it.
        ### HINT 3: self.x = x; return x @ self.weight.T + self.bias   (the bias broadcasts over the B rows)
        n_in = self.weight.shape[1]
        if x.ndim != 2 or x.shape[1] != n_in:
            raise ValueError(f"Linear expects input of shape (B, {n_in}), got {x.shape}")
        self.x = x  # (B, n_in)
        return x @ self.weight.T + self.bias  # (B, n_out)
        ### END SOLUTION

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Given dL/dY (B, n_out): set ``grad_weight`` and ``grad_bias``, return dL/dX (B, n_in)."""
        ### BEGIN SOLUTION (Task 1)
        ### HINT 1: The chapter's three gradients of Y = X W^T + b (Week 4, "The linear layer"): with respect to
        ###         W, to b and to X. Let the shapes decide each product: dW has W's shape, dX has X's.
        ### HINT 2: grad_out is dL/dY (B, n_out). dW (n_out, n_in) sums over the batch the outer products of
        ###         grad_out's rows with x's rows; db (n_out,) sums grad_out over the batch; dX (B, n_in) sends
        ###         grad_out back through W.
        ### HINT 3: self.grad_weight = grad_out.T @ self.x; self.grad_bias = grad_out.sum(axis=0);
        ###         return grad_out @ self.weight
        self.grad_weight = grad_out.T @ self.x  # (n_out, B) @ (B, n_in)
        self.grad_bias = grad_out.sum(axis=0)  # (n_out,)
        return grad_out @ self.weight  # (B, n_out) @ (n_out, n_in)
        ### END SOLUTION

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [("weight", self.weight, self.grad_weight), ("bias", self.bias, self.grad_bias)]


class ReLU:
    """``Y = max(X, 0)`` elementwise."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION (Task 2)
        ### HINT 1: ReLU is max(x, 0) elementwise; backward will need to know where the input was positive.
        ### HINT 2: Store a boolean mask of x > 0 (B, n) on self, then return np.maximum(x, 0). Do not keep the
        ###         output in place of x: backward needs the mask, and x itself may be changed by the caller.
        ### HINT 3: self.mask = x > 0; return np.maximum(x, 0)
        self.mask = x > 0  # (B, n)
        return np.maximum(x, 0)
        ### END SOLUTION

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION (Task 2)
        ### HINT 1: The slope of ReLU is 1 where its input was positive and 0 elsewhere, also at exactly 0
        ###         (PyTorch's choice): the gradient passes or stops, elementwise.
        ### HINT 2: Multiply grad_out (B, n) by the mask that forward stored; a boolean array times a float array
        ###         gives 0.0 where the mask is False.
        ### HINT 3: return grad_out * self.mask
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
        ### BEGIN SOLUTION (Task 3)
        ### HINT 1: Mean over the batch of -log softmax(logits)[i, y[i]], computed stably: the log-sum-exp
        ###         trick of Week 2. Check y's shape first (B,), and keep what backward needs (the softmax and y).
        ### HINT 2: Subtract each row's max (keepdims=True, so (B, 1) broadcasts); log_probs = shifted -
        ###         log(sum(exp(shifted))) per row; the loss picks one entry per row with np.arange(B) and y. A
        ###         ValueError names both shapes when y is not (B,).
        ### HINT 3: self.probs = np.exp(log_probs); self.y = y;
        ###         return float(-log_probs[np.arange(len(y)), y].mean())
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
        ### BEGIN SOLUTION (Task 3)
        ### HINT 1: dL/dlogits of the mean loss is (softmax - onehot(y)) / B (Week 4, "Softmax and cross-entropy").
        ### HINT 2: Start from a copy of the stored softmax (not the array itself: subtracting in place would
        ###         change what forward kept), subtract 1 at row i, column y[i] for every row, divide by B.
        ### HINT 3: grad = self.probs.copy(); grad[np.arange(len(self.y)), self.y] -= 1; return grad / len(self.y)
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
        ### BEGIN SOLUTION (Task 4)
        ### HINT 1: SGD with momentum as the chapter writes it (Week 4, "Training: SGD with momentum"):
        ###         a velocity per parameter, v = momentum * v + g, then p = p - lr * v.
        ### HINT 2: self.model.parameters() gives (name, p, g) triples; self.velocity[name] is that parameter's v.
        ###         Update v and p *in place* (v *= ..., p -= ...): the layers hold these very arrays, and a new
        ###         array bound to a local name would leave the model unchanged.
        ### HINT 3: for name, p, g in self.model.parameters(): v = self.velocity[name]; v *= self.momentum;
        ###         v += g; p -= self.lr * v
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
    ### BEGIN SOLUTION (Task 5)
    ### HINT 1: The training loop of the chapter: epochs of mini-batches, each a forward pass, the loss,
    ###         a backward pass and one optimizer step; return the list of every step's loss.
    ### HINT 2: Each epoch, draw a fresh order with rng.permutation(len(X)) and cut it into slices of
    ###         batch_size (the last may be shorter). For each batch: logits = model.forward(xb); the loss from
    ###         loss_fn.forward(logits, yb); model.backward(loss_fn.backward()); optimizer.step().
    ### HINT 3: for start in range(0, len(X), batch_size): idx = order[start:start + batch_size]; ...
    ###         append each loss (a Python float) to losses.
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
