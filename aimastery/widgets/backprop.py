"""Backprop visualizer: a computation graph and its backward pass, step by step.

Taught in Week 1 (book/week01_autodiff.md). Three layers:

* :func:`trace_graph` walks a graph (pure) and :func:`compute_backprop_trace`
  replays its backward pass one node at a time, recording every gradient;
* :func:`plot_backprop_graph` draws a trace with matplotlib;
* :func:`backprop_widget` lets a reader pick an expression and its inputs and
  step through the backward pass, in Jupyter and in the static page.

Works with any micrograd-style engine: nodes with ``data``, ``grad``,
``_prev`` (operands), ``_op`` (symbol), ``_backward`` (closure) and an
optional ``label``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import traitlets

from aimastery.widgets.base import CourseWidget


@dataclass(frozen=True)
class Graph:
    """A computation graph: ``nodes`` in topological order (operands first)."""

    nodes: list[Any]
    edges: list[tuple[int, int]]  # (operand index, result index)
    output: int  # index of the root


def trace_graph(root: Any) -> Graph:
    """Every node ``root`` depends on, operands before results, and the edges between them.

    A pure walk: nothing is computed or changed. The order is deterministic
    (operands in the order they were given), so layouts repeat exactly.
    """
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node._prev))
    index = {id(n): i for i, n in enumerate(order)}
    edges = [(index[id(c)], index[id(n)]) for n in order for c in n._prev]
    return Graph(order, edges, index[id(root)])


# How each operation's local derivative reads, for operand 0 and operand 1.
LOCAL_RULES = {
    "+": ("∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1"),
    "*": ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a"),
    "exp": ("∂eᵃ/∂a = eᵃ",),
    "log": ("∂log a/∂a = 1/a",),
    "tanh": ("∂tanh a/∂a = 1 − tanh²a",),
    "relu": ("∂relu a/∂a = 1 if a > 0 else 0",),
    "pow": ("∂aⁿ/∂a = n·aⁿ⁻¹",),
}


def local_rule(op: str, position: int) -> str:
    rules = LOCAL_RULES.get("pow" if op.startswith("**") else op)
    if rules is None:
        return "local derivative"
    return rules[min(position, len(rules) - 1)]


@dataclass(frozen=True)
class Contribution:
    """One application of the chain rule: operand.grad += local × upstream."""

    operand: int
    rule: str
    local: float
    upstream: float
    amount: float
    grad_after: float


@dataclass(frozen=True)
class Step:
    node: int  # the node whose _backward ran (-1 for the seed step)
    title: str
    contributions: list[Contribution]


@dataclass(frozen=True)
class NodeInfo:
    label: str  # a variable's name, a constant's value, or the operation
    op: str  # "" for inputs and constants
    data: float
    x: float  # layout: layer (inputs left, output right)
    y: float  # layout: row within the layer


@dataclass(frozen=True)
class BackpropTrace:
    """A forward pass and its backward pass, one step per node."""

    nodes: list[NodeInfo]
    edges: list[tuple[int, int]]
    output: int
    steps: list[Step]
    grads: list[list[float]]  # grads[k][i]: node i's gradient after k steps (k = 0: before backward)

    def to_dict(self) -> dict:
        return asdict(self)


def _layout(graph: Graph) -> list[tuple[float, float]]:
    """Layers by longest path from the inputs (inputs sit just before their first use); rows by barycentre."""
    n = len(graph.nodes)
    index = {id(node): i for i, node in enumerate(graph.nodes)}
    operands = [[index[id(c)] for c in node._prev] for node in graph.nodes]
    users: list[list[int]] = [[] for _ in range(n)]
    for child, parent in graph.edges:
        users[child].append(parent)
    layer = [0] * n
    for i in range(n):  # topological order: operands already have their layer
        layer[i] = 1 + max((layer[c] for c in operands[i]), default=-1)
    for i in range(n):
        if not operands[i] and users[i]:
            layer[i] = min(layer[u] for u in users[i]) - 1
    shift = min(layer)
    layer = [v - shift for v in layer]
    row = [0.0] * n
    next_leaf = 0.0
    for i in range(n):
        if not operands[i]:
            row[i] = next_leaf
            next_leaf += 1.0
        else:
            row[i] = sum(row[c] for c in operands[i]) / len(operands[i])
    for L in set(layer):  # keep nodes of one layer at least one row apart
        members = sorted((i for i in range(n) if layer[i] == L), key=lambda i: (row[i], i))
        for a, b in zip(members, members[1:]):
            row[b] = max(row[b], row[a] + 1.0)
    return [(float(layer[i]), row[i]) for i in range(n)]


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _labels(nodes: list[Any]) -> list[str]:
    """A readable, unique title per node: its name (with its operation), a constant's
    value, or the operation numbered when it occurs more than once ("+₁", "+₂")."""
    ops = [n._op for n in nodes if n._prev and not getattr(n, "label", "")]
    seen: dict[str, int] = {}
    titles = []
    for node in nodes:
        name = getattr(node, "label", "")
        if name:
            titles.append(f"{name} ({node._op})" if node._prev else name)
        elif not node._prev:
            titles.append(f"{node.data:g}")
        elif ops.count(node._op) > 1:
            seen[node._op] = seen.get(node._op, 0) + 1
            titles.append(f"{node._op}{str(seen[node._op]).translate(SUBSCRIPTS)}")
        else:
            titles.append(node._op)
    return titles


def compute_backprop_trace(root: Any) -> BackpropTrace:
    """Run ``root``'s backward pass one node at a time, recording each chain-rule step.

    ``root`` must be freshly built (every ``grad`` zero). Afterwards the graph
    holds the same gradients ``root.backward()`` would have left. The local
    derivative of each operand is measured by running the node's own
    ``_backward`` once with an upstream gradient of 1 (a closure is linear in
    its upstream gradient), then undone.
    """
    graph = trace_graph(root)
    nodes = graph.nodes
    if any(node.grad != 0 for node in nodes):
        raise ValueError("compute_backprop_trace needs a fresh graph: some gradients are already non-zero")
    positions = _layout(graph)
    info = [NodeInfo(title, n._op if n._prev else "", float(n.data), x, y)
            for n, title, (x, y) in zip(nodes, _labels(nodes), positions)]
    index = {id(node): i for i, node in enumerate(nodes)}

    grads = [[0.0] * len(nodes)]
    root.grad = 1.0
    steps = [Step(-1, "seed: the output's gradient with respect to itself is 1",
                  [Contribution(graph.output, "∂out/∂out = 1", 1.0, 1.0, 1.0, 1.0)])]
    grads.append([float(n.grad) for n in nodes])

    for node in reversed(nodes):
        if not node._prev:
            continue  # an input or a constant has nobody to pass its gradient to
        upstream = node.grad
        before = [c.grad for c in node._prev]
        for c in node._prev:  # probe: local derivatives = what _backward adds per unit upstream
            c.grad = 0.0
        node.grad = 1.0
        node._backward()
        local = [c.grad for c in node._prev]
        for c, g in zip(node._prev, before):
            c.grad = g
        node.grad = upstream
        node._backward()  # the real step
        contributions = [
            Contribution(index[id(c)], local_rule(node._op, k), float(loc), float(upstream), float(loc * upstream), float(c.grad))
            for k, (c, loc) in enumerate(zip(node._prev, local))
        ]
        steps.append(Step(index[id(node)], f"'{node._op}' passes its gradient ({upstream:.4g}) to its operands", contributions))
        grads.append([float(n.grad) for n in nodes])
    return BackpropTrace(info, graph.edges, graph.output, steps, grads)


# ----- the examples the widget offers


@dataclass(frozen=True)
class Preset:
    name: str
    inputs: dict[str, float]
    note: str = ""


@dataclass(frozen=True)
class Example:
    name: str
    formula: str
    build: Callable[[dict[str, Any]], Any]  # input nodes by name -> output node
    presets: list[Preset] = field(default_factory=list)


EXAMPLES = [
    Example(
        "a neuron", "o = tanh(x1·w1 + x2·w2 + b)",
        lambda v: (v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]).tanh(),
        [
            Preset("typical", {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8814},
                   "tanh's slope, 1 − o², scales every gradient behind it."),
            Preset("saturated", {"x1": 2.0, "w1": 3.0, "x2": 1.0, "w2": 1.0, "b": 2.0},
                   "o is close to 1, where tanh is flat: every gradient behind it almost vanishes."),
            Preset("x2 = 0", {"x1": 1.0, "w1": 0.5, "x2": 0.0, "w2": -2.0, "b": 0.0},
                   "w2's gradient is x2 times the upstream gradient, so 0: a weight on a zero input does not learn."),
        ],
    ),
    Example(
        "a node used twice", "f = (a + b)·a",
        lambda v: (v["a"] + v["b"]) * v["a"],
        [
            Preset("a = 3, b = −2", {"a": 3.0, "b": -2.0},
                   "a feeds both '+' and '*': its gradient is the sum over the two paths, ∂f/∂a = 2a + b."),
            Preset("a = −1, b = 4", {"a": -1.0, "b": 4.0}, "Two paths again; watch a's gradient grow in two steps."),
        ],
    ),
    Example(
        "log and division", "f = log(a) / b",
        lambda v: v["a"].log() / v["b"],
        [
            Preset("a = 2, b = 4", {"a": 2.0, "b": 4.0}, "Division is a·b⁻¹: watch the '**-1' node."),
            Preset("a = 0.1, b = 1", {"a": 0.1, "b": 1.0}, "log is steep near 0: ∂f/∂a = 1/(a·b) is large."),
            Preset("a = −1 (invalid)", {"a": -1.0, "b": 1.0}, "log of a negative number is undefined."),
        ],
    ),
    Example(
        "ReLU", "f = relu(a·b − c)",
        lambda v: (v["a"] * v["b"] - v["c"]).relu(),
        [
            Preset("active", {"a": 2.0, "b": 1.5, "c": 1.0}, "a·b − c > 0: relu passes the gradient through unchanged."),
            Preset("dead", {"a": 2.0, "b": -1.5, "c": 1.0}, "a·b − c < 0: relu's slope is 0 and nothing behind it learns."),
        ],
    ),
    Example(
        "softplus", "f = log(1 + exp(a·b))",
        lambda v: (1 + (v["a"] * v["b"]).exp()).log(),
        [
            Preset("a = 1, b = 0.5", {"a": 1.0, "b": 0.5}, "softplus' slope is the sigmoid of its input, σ(a·b)."),
            Preset("a = −3, b = 2", {"a": -3.0, "b": 2.0}, "Far left softplus is almost flat: σ(a·b) and every gradient are tiny."),
        ],
    ),
]


def compute_example(value_cls: type, example: Example, preset: Preset) -> dict:
    """The trace of one example at one preset, or a readable error for inputs out of its domain."""
    try:
        leaves = {name: value_cls(x, label=name) for name, x in preset.inputs.items()}
        return {"trace": compute_backprop_trace(example.build(leaves)).to_dict(), "error": None}
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        return {"trace": None, "error": f"These inputs are out of the expression's domain: {err}."}


def compute_examples(value_cls: type, examples: list[Example] = EXAMPLES) -> list[dict]:
    """Everything the widget shows, as plain data: each example with each preset's trace."""
    return [
        {
            "name": ex.name,
            "formula": ex.formula,
            "presets": [{"name": p.name, "note": p.note, "inputs": list(p.inputs.items()),
                         **compute_example(value_cls, ex, p)}
                        for p in ex.presets],
        }
        for ex in examples
    ]


# ----- static figure


def plot_backprop_graph(trace: BackpropTrace, step: int | None = None, ax=None, title: str | None = None):
    """Draw the graph of ``trace`` with each node's value and gradient after ``step`` steps.

    With ``step=None`` it shows the end of the backward pass, nothing highlighted;
    with a step number it highlights, as the widget does, the node that ran its
    closure (orange) and the operands that received gradient (blue).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    k = len(trace.steps) if step is None else step
    if not 0 <= k <= len(trace.steps):
        raise ValueError(f"step must be between 0 and {len(trace.steps)}, got {step}")
    grads = trace.grads[k]
    highlight = step is not None and k > 0
    current = trace.steps[k - 1].node if highlight else None
    receiving = {c.operand for c in trace.steps[k - 1].contributions} if highlight else set()
    xs = [n.x for n in trace.nodes]
    ys = [n.y for n in trace.nodes]
    width, height = 0.78, 0.62
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 * (max(xs) + 1), 1.1 * (max(ys) + 1) + 0.5))
    for child, parent in trace.edges:
        a, b = trace.nodes[child], trace.nodes[parent]
        bend = -0.3 if b.x - a.x > 1 else 0.0  # an edge that skips a layer arcs over it
        ax.add_patch(FancyArrowPatch((a.x + width / 2, a.y), (b.x - width / 2, b.y), arrowstyle="-|>",
                                     connectionstyle=f"arc3,rad={bend}", mutation_scale=10, color="#868e96",
                                     lw=1, shrinkA=0, shrinkB=0))
    for i, node in enumerate(trace.nodes):
        edge = "#d9480f" if i == current else "#1864ab" if i in receiving else "#adb5bd"
        face = "#fff4e6" if i == current else "#e7f5ff" if i in receiving else "#f8f9fa"
        ax.add_patch(FancyBboxPatch((node.x - width / 2, node.y - height / 2), width, height,
                                    boxstyle="round,pad=0.02,rounding_size=0.08", fc=face, ec=edge, lw=1.4))
        ax.text(node.x, node.y - 0.17, node.label, ha="center", va="center", fontsize=11, fontweight="bold")
        ax.text(node.x, node.y + 0.02, f"data {node.data:.4g}", ha="center", va="center", fontsize=9.5)
        ax.text(node.x, node.y + 0.19, f"grad {grads[i]:.4g}", ha="center", va="center", fontsize=9.5,
                color="#1864ab" if grads[i] else "#868e96")
    ax.set_xlim(min(xs) - 0.55, max(xs) + 0.55)
    ax.set_ylim(max(ys) + 0.5, min(ys) - 0.5)  # first input at the top
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)
    return ax


# ----- widget


class BackpropWidget(CourseWidget):
    """Pick an expression and its inputs, then step through the backward pass."""

    _widget_name = "backprop"
    examples = traitlets.List().tag(sync=True)  # from compute_examples
    example = traitlets.Int(0).tag(sync=True)
    preset = traitlets.Int(0).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)


def backprop_widget(value_cls: type, examples: list[Example] = EXAMPLES) -> BackpropWidget:
    """The backprop visualizer over ``examples``, computed with the engine ``value_cls``."""
    return BackpropWidget(examples=compute_examples(value_cls, examples))
