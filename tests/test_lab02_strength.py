"""Lab 2's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference solution with one classic bug; the lab's tests
must fail on every one of them, in the task that owns the bug.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "week02_linear"

SHIFT = "shifted = logits - logits.max(axis=1, keepdims=True)"
LOG_SUM_EXP = "return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))"
PICK = "return float(-log_softmax(logits)[np.arange(len(y)), y].mean())"

LOSS_MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    # Task 1: the stable loss
    "forgetting the max-shift": (1, [(SHIFT, "shifted = logits")]),
    "one max for the whole batch": (1, [(SHIFT, "shifted = logits - logits.max()")]),
    "shift by the minimum": (1, [(SHIFT, "shifted = logits - logits.min(axis=1, keepdims=True)")]),
    "log-sum-exp not subtracted": (1, [(LOG_SUM_EXP, "return shifted")]),
    "sum over all rows in the log-sum-exp": (1, [(LOG_SUM_EXP, "return shifted - np.log(np.exp(shifted).sum())")]),
    "loss summed over the batch": (1, [(PICK, "return float(-log_softmax(logits)[np.arange(len(y)), y].sum())")]),
    "every row's label column": (1, [(PICK, "return float(-log_softmax(logits)[:, y].mean())")]),
    "log-probability not negated": (1, [(PICK, "return float(log_softmax(logits)[np.arange(len(y)), y].mean())")]),
    # Task 2: the gradient
    "gradient not divided by B": (2, [("return grad / len(y)  # the loss", "return grad  # the loss")]),
    "one-hot not subtracted": (2, [("    grad[np.arange(len(y)), y] -= 1  # minus the one-hot labels\n", "")]),
    "one-hot minus softmax": (2, [("return grad / len(y)  # the loss", "return -grad / len(y)  # the loss")]),
    "naive softmax in the gradient": (2, [("grad = np.exp(log_softmax(logits))  # (B, C), the softmax",
                                           "grad = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)")]),
    "divided by C, not B": (2, [("return grad / len(y)  # the loss", "return grad / logits.shape[1]  # the loss")]),
    "log of the softmax": (1, [(LOG_SUM_EXP, "return np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))")]),
    "loss as a NumPy float": (1, [(PICK, "return -log_softmax(logits)[np.arange(len(y)), y].mean()")]),
    "log_softmax from PyTorch": (1, [("import numpy as np\n", "import numpy as np\nimport torch\n"),
                                     (SHIFT + "  # (B, C), each row's max is 0\n    " + LOG_SUM_EXP,
                                      "return torch.log_softmax(torch.from_numpy(logits), dim=1).numpy()")]),
    "softmax from SciPy": (2, [("import numpy as np\n", "import numpy as np\nfrom scipy.special import softmax\n"),
                               ("grad = np.exp(log_softmax(logits))  # (B, C), the softmax",
                                "grad = softmax(logits, axis=1)  # (B, C), the softmax")]),
}

MOMENTUM_BLOCK = """\
        if self.momentum:
            if "momentum_buffer" not in state:  # the first step: v = g
                state["momentum_buffer"] = grad.clone()
            else:  # v <- momentum * v + g, in place
                state["momentum_buffer"].mul_(self.momentum).add_(grad)
            v = state["momentum_buffer"]
            grad = grad + self.momentum * v if self.nesterov else v
        p -= self.lr * grad  # in place: the model holds this tensor
"""

MOMENTUM_AFTER_THE_UPDATE = """\
        if self.momentum:  # steps along the old velocity, then updates it
            v = state.get("momentum_buffer", torch.zeros_like(p))
            p -= self.lr * (grad + self.momentum * v if self.nesterov else v)
            state["momentum_buffer"] = self.momentum * v + grad
        else:
            p -= self.lr * grad
"""

DECAY = """\
        if self.weight_decay:
            grad = grad + self.weight_decay * p  # L2: the gradient of (wd / 2) |p|^2
"""

ADAMW_DECAY = """\
        if self.weight_decay and self.decoupled:  # AdamW: shrink p itself
            p *= 1 - self.lr * self.weight_decay
        elif"""

ADAM_STEP = "        p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)\n"

OPTIM_MUTANTS = {
    # Task 3: SGD
    "momentum applied after the update": (3, [(MOMENTUM_BLOCK, MOMENTUM_AFTER_THE_UPDATE)]),
    "weight decay added after the momentum": (3, [(DECAY, ""), (MOMENTUM_BLOCK, MOMENTUM_BLOCK.replace(
        "        p -= self.lr * grad", DECAY + "        p -= self.lr * grad"))]),
    "velocity not kept between steps": (3, [('if "momentum_buffer" not in state:', "if True:")]),
    "Nesterov ignored": (3, [("grad = grad + self.momentum * v if self.nesterov else v", "grad = v")]),
    "Nesterov with the velocity twice": (3, [("grad = grad + self.momentum * v if self.nesterov else v",
                                              "grad = v + self.momentum * v if self.nesterov else v")]),
    "parameter rebound, not updated in place": (3, [("p -= self.lr * grad  # in place",
                                                     "p = p - self.lr * grad  # in place")]),
    "weight decay pushes away": (3, [("grad = grad + self.weight_decay * p  # L2",
                                      "grad = grad - self.weight_decay * p  # L2")]),
    "momentum buffer shares grad's memory": (3, [('state["momentum_buffer"] = grad.clone()',
                                                  'state["momentum_buffer"] = grad')]),
    "weight decay added into the caller's gradient": (3, [("grad = grad + self.weight_decay * p  # L2",
                                                           "grad += self.weight_decay * p  # L2")]),
    "SGD re-exported from the course": (3, [("from aimastery.optim import Optimizer\n",
                                             "from aimastery.optim import Optimizer\nfrom aimastery.optim import SGD as _SGD\n"),
                                            ("class SGD(Optimizer):", "class SGD(_SGD):\n    pass\n\n\nclass _Unused(Optimizer):")]),
    # Task 4: Adam and AdamW
    "Adam's L2 decay into the caller's gradient": (4, [("grad = grad + self.weight_decay * p\n        m, v",
                                                        "grad += self.weight_decay * p\n        m, v")]),
    "Adam from torch.optim": (4, [("class AdamW(Adam):", "Adam = torch.optim.Adam  # noqa\n\n\nclass AdamW(Adam):")]),
    "no bias correction": (4, [("m_hat = m / (1 - beta1 ** t)", "m_hat = m"), ("v_hat = v / (1 - beta2 ** t)", "v_hat = v")]),
    "bias correction of m only": (4, [("v_hat = v / (1 - beta2 ** t)", "v_hat = v")]),
    "wrong bias correction: t + 1": (4, [("m_hat = m / (1 - beta1 ** t)", "m_hat = m / (1 - beta1 ** (t + 1))"),
                                         ("v_hat = v / (1 - beta2 ** t)", "v_hat = v / (1 - beta2 ** (t + 1))")]),
    "bias correction with the square root on m": (4, [("m_hat = m / (1 - beta1 ** t)",
                                                       "m_hat = m / (1 - beta1 ** t) ** 0.5")]),
    "eps inside the square root": (4, [(ADAM_STEP, "        p -= self.lr * m_hat / (v_hat + self.eps).sqrt()\n")]),
    "one step counter for all parameters": (4, [('        state["step"] += 1  # each parameter counts its own steps\n'
                                                 '        t = state["step"]\n',
                                                 '        self.t = getattr(self, "t", 0) + 1\n        t = self.t\n')]),
    "v from the gradient, not its square": (4, [("v.mul_(beta2).add_((1 - beta2) * grad * grad)",
                                                 "v.mul_(beta2).add_((1 - beta2) * grad.abs())")]),
    "AdamW decay without the learning rate": (4, [("p *= 1 - self.lr * self.weight_decay", "p *= 1 - self.weight_decay")]),
    "AdamW decay through the gradient": (4, [("if self.weight_decay and self.decoupled:", "if False:")]),
    "AdamW decay after the step": (4, [(ADAMW_DECAY, "        if False:\n            pass\n        elif"),
                                       (ADAM_STEP, ADAM_STEP + "        if self.weight_decay and self.decoupled:\n"
                                        "            p *= 1 - self.lr * self.weight_decay\n")]),
}


def test_every_loss_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "losses.py", "test_losses.py", LOSS_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 2's tests pass these buggy losses: {uncaught}"


def test_every_optimizer_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "optimizers.py", "test_optimizers.py", OPTIM_MUTANTS, tmp_path)
    assert not uncaught, f"Lab 2's tests pass these buggy optimisers: {uncaught}"
