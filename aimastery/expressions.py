"""Random scalar expressions, for checking an autograd engine against PyTorch.

Taught in Week 1 (book/week01_autodiff.md); Lab 1's tests use it too.

An :class:`Expression` is a small tree of operations over ``n_inputs``
variables. Evaluating it needs only what a micrograd-style ``Value`` and a
``torch.Tensor`` both offer (``+ - * / **``, unary ``-`` and the methods
``exp log tanh relu``), so the same expression runs in both and their values
and gradients can be compared. Every operation is guarded to stay in its
domain: ``log`` and ``/`` see ``u*u + 1``, fractional powers a positive base,
``exp`` a ``tanh``-bounded argument.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

UNARY = ("neg", "exp", "log", "tanh", "relu", "square", "cube", "sqrt_pos", "reuse", "reuse_first", "reuse_deep")
BINARY = ("+", "-", "*", "/")

# A tree is ("x", i) | ("c", float) | (unary_op, tree) | (binary_op, tree, tree)
Tree = tuple


def _random_tree(rng: random.Random, n_inputs: int, depth: int) -> Tree:
    if depth == 0 or rng.random() < 0.15:
        if rng.random() < 0.8:
            return ("x", rng.randrange(n_inputs))
        return ("c", round(rng.uniform(-2.0, 2.0), 2))
    if rng.random() < 0.4:
        return (rng.choice(UNARY), _random_tree(rng, n_inputs, depth - 1))
    return (rng.choice(BINARY), _random_tree(rng, n_inputs, depth - 1), _random_tree(rng, n_inputs, depth - 1))


def _evaluate(tree: Tree, leaves: list[Any]) -> Any:
    op = tree[0]
    if op == "x":
        return leaves[tree[1]]
    if op == "c":
        return tree[1]
    if op in BINARY:
        a, b = _evaluate(tree[1], leaves), _evaluate(tree[2], leaves)
        if _is_const(a) and _is_const(b):  # keep at least one graph node in every operation
            a = a + 0 * leaves[0]
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return a / (b * b + 1)
    u = _evaluate(tree[1], leaves)
    if _is_const(u):
        u = u + 0 * leaves[0]
    if op == "neg":
        return -u
    if op == "exp":
        return u.tanh().exp()
    if op == "log":
        return (u * u + 1).log()
    if op == "tanh":
        return u.tanh()
    if op == "relu":
        return u.relu()
    if op == "square":
        return u**2
    if op == "cube":
        return u**3
    if op == "sqrt_pos":
        return (u * u + 0.5) ** 0.5
    # one node reaching the output along two paths of different lengths: its
    # gradient must accumulate, and it must wait for both before passing it on
    if op == "reuse":
        return u * u + u
    if op == "reuse_first":
        return u + u * u
    if op == "reuse_deep":
        return (u + 1) * u
    raise ValueError(f"unknown operation {op!r}")


def _is_const(v: Any) -> bool:
    return isinstance(v, (int, float))


def _enclosed(text: str) -> bool:
    """True when ``text`` is one parenthesised group, like "(a + (b))"."""
    if not text.startswith("("):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i == len(text) - 1
    return False


def _base(tree: Tree, text: str) -> str:
    """``text`` ready to take a postfix power: (x0 + 1)², not x0 + 1²."""
    atom = tree[0] == "x" or (tree[0] == "c" and tree[1] >= 0)
    return text if atom or _enclosed(text) else f"({text})"


def _format(tree: Tree) -> str:
    op = tree[0]
    if op == "x":
        return f"x{tree[1]}"
    if op == "c":
        return f"{tree[1]:g}"
    if op in BINARY:
        left, right = _format(tree[1]), _format(tree[2])
        return f"({left} / ({_base(tree[2], right)}² + 1))" if op == "/" else f"({left} {op} {right})"
    inner = _format(tree[1])
    base = _base(tree[1], inner)
    return {
        "neg": f"-{base}", "exp": f"exp(tanh {inner})", "log": f"log({base}² + 1)", "tanh": f"tanh {inner}",
        "relu": f"relu {inner}", "square": f"{base}²", "cube": f"{base}³", "sqrt_pos": f"√({base}² + ½)",
        "reuse": f"({base}² + {base})", "reuse_first": f"({base} + {base}²)", "reuse_deep": f"(({inner}) + 1)·{base}",
    }[op]


@dataclass(frozen=True)
class Expression:
    """A random expression over ``n_inputs`` variables ``x0, x1, ...``."""

    tree: Tree
    n_inputs: int

    def __call__(self, *leaves: Any) -> Any:
        if len(leaves) != self.n_inputs:
            raise TypeError(f"this expression takes {self.n_inputs} inputs, got {len(leaves)}")
        return _evaluate(self.tree, list(leaves))

    def __str__(self) -> str:
        return _format(self.tree)


def random_expression(seed: int, n_inputs: int = 3, depth: int = 4) -> Expression:
    """A reproducible random expression: the same seed gives the same tree."""
    if n_inputs < 1 or depth < 1:
        raise ValueError(f"need n_inputs >= 1 and depth >= 1, got n_inputs={n_inputs}, depth={depth}")
    rng = random.Random(seed)
    tree = _random_tree(rng, n_inputs, depth)
    while tree[0] in ("x", "c"):  # a bare leaf checks nothing
        tree = _random_tree(rng, n_inputs, depth)
    return Expression(tree, n_inputs)


def random_inputs(seed: int, n_inputs: int) -> list[float]:
    """Inputs in [-2, 2] for :func:`random_expression` (kept away from relu's kink at 0)."""
    rng = random.Random(seed + 7919)
    values = []
    for _ in range(n_inputs):
        v = rng.uniform(0.1, 2.0)
        values.append(v if rng.random() < 0.5 else -v)
    return values


@dataclass(frozen=True)
class TorchComparison:
    value: float  # the expression's value in the engine
    torch_value: float
    grads: list[float]  # d(expr)/d(x_i) from the engine
    torch_grads: list[float]


def compare_with_torch(value_cls: type, expression: Expression, inputs: list[float]) -> TorchComparison:
    """Evaluate ``expression`` with ``value_cls`` and with float64 PyTorch; backpropagate both."""
    import torch

    leaves = [value_cls(x) for x in inputs]
    out = expression(*leaves)
    out.backward()
    t_leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    t_out = expression(*t_leaves)
    t_out.backward()
    return TorchComparison(
        value=out.data,
        torch_value=t_out.item(),
        grads=[leaf.grad for leaf in leaves],
        torch_grads=[0.0 if leaf.grad is None else leaf.grad.item() for leaf in t_leaves],
    )
