"""Lab 4's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic bug; the lab's tests
must fail on every one of them, in the task that owns the bug.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "week04_mlp"

MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    # Task 1: Linear
    "forward without the bias": (1, [("return x @ self.weight.T + self.bias", "return x @ self.weight.T")]),
    "dW transposed": (1, [("self.grad_weight = grad_out.T @ self.x", "self.grad_weight = self.x.T @ grad_out")]),
    "db from the first example only": (1, [("self.grad_bias = grad_out.sum(axis=0)", "self.grad_bias = grad_out[0]")]),
    "db averaged, not summed": (1, [("self.grad_bias = grad_out.sum(axis=0)", "self.grad_bias = grad_out.mean(axis=0)")]),
    "no shape check": (1, [("            raise ValueError(f\"Linear expects input of shape (B, {n_in}), got {x.shape}\")\n",
                            "            pass\n")]),
    "shape error without the shapes": (1, [("f\"Linear expects input of shape (B, {n_in}), got {x.shape}\"",
                                            "\"wrong input shape\"")]),
    # Task 2: ReLU
    "relu slope 1 at zero": (2, [("self.mask = x > 0", "self.mask = x >= 0")]),
    "relu upcasts to float64": (2, [("return np.maximum(x, 0)", "return np.maximum(x, 0).astype(np.float64)")]),
    "relu backward upcasts to float64": (2, [("return grad_out * self.mask", "return (grad_out * self.mask).astype(np.float64)")]),
    "relu forward in place": (2, [("return np.maximum(x, 0)", "return np.maximum(x, 0, out=x)")]),
    # Task 3: softmax cross-entropy
    "no log-sum-exp shift": (3, [("shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits")]),
    "log of the softmax": (3, [("log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (B, C)",
                                "log_probs = np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))")]),
    "gradient not divided by B": (3, [("return grad / len(self.y)", "return grad")]),
    "loss summed over the batch": (3, [("return float(-log_probs[np.arange(len(y)), y].mean())",
                                        "return float(-log_probs[np.arange(len(y)), y].sum())")]),
    "one-hot not subtracted": (3, [("        grad[np.arange(len(self.y)), self.y] -= 1\n", "")]),
    "labels not checked": (3, [("        if logits.ndim != 2 or y.shape != (logits.shape[0],):\n", "        if False:\n")]),
    # Task 4: SGD with momentum
    "parameter rebound, not updated in place": (4, [("p -= self.lr * v", "p = p - self.lr * v")]),
    "velocity not kept": (4, [("            v *= self.momentum\n            v += g\n", "            v = self.momentum * v + g\n")]),
    "step uphill": (4, [("p -= self.lr * v", "p += self.lr * v")]),
    # Task 5: the training loop
    "last partial batch dropped": (5, [("for start in range(0, len(X), batch_size):",
                                        "for start in range(0, len(X) - batch_size + 1, batch_size):")]),
    "one epoch only": (5, [("    for _ in range(epochs):", "    for _ in range(1):")]),
    "no optimizer step": (5, [("            optimizer.step()\n", "")]),
}


def test_every_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "mlp.py", "test_mlp.py", MUTANTS, tmp_path)
    assert not uncaught, f"Lab 4's tests pass these buggy solutions: {uncaught}"
