"""Lab 1 — a scalar autograd engine.

A ``Value`` holds one number, remembers the operation and the operands that
produced it, and carries a closure ``_backward`` that pushes its gradient to
those operands by the chain rule. ``backward()`` visits the graph in reverse
topological order so that every node has received all of its gradient before
it passes it on.

Taught in Week 1 (book/week01_autodiff.md), which works ``+`` and ``*`` in
full (given below) and does the reverse walk by hand. Your tasks are the
regions that raise ``NotImplementedError``: ``backward()`` (Task 1: the
reverse walk over the whole graph) and the backward closures of ``**``,
``exp``, ``log``, ``tanh`` and ``relu`` (Task 2). ``make lab-check WEEK=01``
tells you how far you are. Write them here: the tests refuse an engine that
imports the course's finished one (``aimastery.autodiff``) or ``solutions/``.
"""

from __future__ import annotations

import math
import sys

MAX_EXP = math.log(sys.float_info.max)  # about 709.78: exp of anything larger is not a float


def _check_divisor(b: Value | float) -> None:
    """Division by a zero Value says so (rather than "0 ** -1 is undefined" from the power inside)."""
    if (b.data if isinstance(b, Value) else b) == 0:
        raise ZeroDivisionError("division by zero: a / b is computed as a * b**-1, and b is 0")


class Value:
    """A scalar node of a computation graph.

    data:     the number this node holds
    grad:     d(output)/d(this node), filled in by ``backward()``
    _prev:    the operands that produced it (each once, in order)
    _op:      the operation's symbol, for printing and drawing
    label:    an optional name, for printing and drawing
    """

    def __init__(self, data: float, _children: tuple[Value, ...] = (), _op: str = "", label: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None  # a leaf has nothing to pass on
        self._prev = tuple(dict.fromkeys(_children))  # unique, in a fixed order
        self._op = _op
        self.label = label

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # ----- operations: the forward value and its backward closure side by side

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a+b)/da = d(a+b)/db = 1; add (+=): a node may get gradient from several users
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(a*b)/da = b and d(a*b)/db = a, each times out.grad
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: int | float) -> Value:
        if isinstance(exponent, Value) or not isinstance(exponent, (int, float)):
            raise TypeError(f"Value ** n needs a constant int or float exponent, got {type(exponent).__name__}")
        if self.data == 0 and exponent < 0:  # PyTorch would give inf; an infinite Value helps no one
            raise ZeroDivisionError(f"0 ** {exponent} is undefined (division by zero)")
        if self.data < 0 and not float(exponent).is_integer():
            raise ValueError(f"a negative base ({self.data}) needs an integer exponent, got {exponent}")
        out = Value(self.data**exponent, (self,), f"**{exponent:g}")

        def _backward():
            ### BEGIN SOLUTION (Task 2)
            ### HINT 1: The power rule from the lab's table, n * a**(n - 1), times out.grad, added to self.grad.
            ###         Then the edge case the lab warns about: a = 0, where a**(n - 1) can ask Python for 0.0 ** -1.
            ### HINT 2: Three cases, in this order: exponent == 0 (a**0 is the constant 1, slope 0 everywhere);
            ###         self.data == 0 with 0 < exponent < 1 (a vertical tangent: slope math.inf); every other case
            ###         (the power rule as it stands).
            ### HINT 3: slope = 0.0, math.inf, or exponent * self.data ** (exponent - 1);
            ###         then self.grad += slope * out.grad (+=: a node used twice collects both shares).
            if exponent == 0:
                slope = 0.0  # a**0 is the constant 1, even at a = 0
            elif self.data == 0 and exponent < 1:
                slope = math.inf  # 0 < exponent < 1: the curve is vertical at 0 (0.5 * 0**-0.5)
            else:
                slope = exponent * self.data ** (exponent - 1)
            self.grad += slope * out.grad
            ### END SOLUTION

        out._backward = _backward
        return out

    def exp(self) -> Value:
        if self.data > MAX_EXP:  # math.exp would raise a bare "math range error"
            raise OverflowError(f"exp({self.data:g}) is too large for a float (exp overflows above {MAX_EXP:.2f})")
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            ### BEGIN SOLUTION (Task 2)
            ### HINT 1: The local derivative of e**a is e**a itself; the chain rule multiplies it by out.grad.
            ### HINT 2: e**a was already computed by the forward pass: it is out.data. Add, do not assign: a node
            ###         used in two places receives two contributions.
            ### HINT 3: self.grad += (the local derivative) * out.grad, with out.data as the local derivative.
            self.grad += out.data * out.grad
            ### END SOLUTION

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log is defined for positive numbers only, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            ### BEGIN SOLUTION (Task 2)
            ### HINT 1: d(log a)/da = 1/a (natural log), times the gradient flowing in from out.
            ### HINT 2: a is the operand's value, self.data (never 0 here: log refuses a <= 0 before the closure
            ###         exists). The gradient flowing in is out.grad; add the product to self.grad.
            ### HINT 3: self.grad += out.grad / self.data
            self.grad += out.grad / self.data
            ### END SOLUTION

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            ### BEGIN SOLUTION (Task 2)
            ### HINT 1: d(tanh a)/da = 1 - tanh(a)**2, and the forward pass has computed tanh(a) already.
            ### HINT 2: tanh(a) is out.data (also the variable t above): no second math.tanh call. Multiply the local
            ###         derivative by out.grad and add it to self.grad.
            ### HINT 3: self.grad += (1 - t * t) * out.grad
            self.grad += (1.0 - t * t) * out.grad
            ### END SOLUTION

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            ### BEGIN SOLUTION (Task 2)
            ### HINT 1: relu passes the gradient through where its input was positive and blocks it elsewhere;
            ###         at exactly 0 the course takes PyTorch's choice, slope 0.
            ### HINT 2: The slope is 1 if out.data > 0 else 0 (out.data > 0 exactly when self.data > 0, and it is
            ###         false at 0). Times out.grad, added to self.grad.
            ### HINT 3: self.grad += (out.data > 0) * out.grad   (True * g is g, False * g is 0)
            self.grad += (out.data > 0) * out.grad
            ### END SOLUTION

        out._backward = _backward
        return out

    # ----- the rest is built from the operations above

    def __neg__(self) -> Value:  # -a
        return self * -1

    def __sub__(self, other: Value | float) -> Value:  # a - b
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:  # a / b = a * b**-1: needs the ** closure
        _check_divisor(other)
        return self * other**-1

    def __radd__(self, other: float) -> Value:  # 2 + a
        return self + other

    def __rsub__(self, other: float) -> Value:  # 2 - a
        return other + (-self)

    def __rmul__(self, other: float) -> Value:  # 2 * a
        return self * other

    def __rtruediv__(self, other: float) -> Value:  # 2 / a
        _check_divisor(self)
        return other * self**-1

    # ----- backpropagation

    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Visits the nodes in reverse topological order (each node after every
        node that uses it), seeding ``self.grad = 1``. Works for graphs of any
        depth: the walk keeps its own stack instead of recursing.
        """
        ### BEGIN SOLUTION (Task 1)
        ### HINT 1: A topological order of the graph: every node after all of its operands (node._prev).
        ###         Seed self.grad = 1.0, then run each node's _backward() in the reverse of that order, so a
        ###         node runs only after every node that uses it. Each node once, however many paths reach it.
        ### HINT 2: A depth-first search that appends a node after all of its operands (post-order) gives the
        ###         order; a set of visited ids keeps each node once. Recursion stops near 1,000 levels and a test
        ###         goes 10,000 deep: keep an explicit stack of (node, operands_done) pairs instead.
        ### HINT 3: Push (self, False). Pop (node, done): if done, append it to topo; else, if not yet visited,
        ###         mark it, push (node, True), then push (child, False) for each child in node._prev.
        ###         Finally: self.grad = 1.0; for node in reversed(topo): node._backward().
        topo: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                topo.append(node)  # post-order: after all of its operands
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node._prev))
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
        ### END SOLUTION
