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
            # TODO: The power rule from the lab's table, n * a**(n - 1), times out.grad, added to self.grad.
            #       Then the edge case the lab warns about: a = 0, where a**(n - 1) can ask Python for 0.0 ** -1.
            # Stuck? One more hint at a time: make lab-check WEEK=01 HINT=2 (in the notebook: check(2, hint=2))
            raise NotImplementedError('Lab 1 · Value.__pow__._backward in engine.py: not implemented yet (the TODO just above says what to write)')

        out._backward = _backward
        return out

    def exp(self) -> Value:
        if self.data > MAX_EXP:  # math.exp would raise a bare "math range error"
            raise OverflowError(f"exp({self.data:g}) is too large for a float (exp overflows above {MAX_EXP:.2f})")
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            # TODO: The local derivative of e**a is e**a itself; the chain rule multiplies it by out.grad.
            # Stuck? One more hint at a time: make lab-check WEEK=01 HINT=2 (in the notebook: check(2, hint=2))
            raise NotImplementedError('Lab 1 · Value.exp._backward in engine.py: not implemented yet (the TODO just above says what to write)')

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log is defined for positive numbers only, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            # TODO: d(log a)/da = 1/a (natural log), times the gradient flowing in from out.
            # Stuck? One more hint at a time: make lab-check WEEK=01 HINT=2 (in the notebook: check(2, hint=2))
            raise NotImplementedError('Lab 1 · Value.log._backward in engine.py: not implemented yet (the TODO just above says what to write)')

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            # TODO: d(tanh a)/da = 1 - tanh(a)**2, and the forward pass has computed tanh(a) already.
            # Stuck? One more hint at a time: make lab-check WEEK=01 HINT=2 (in the notebook: check(2, hint=2))
            raise NotImplementedError('Lab 1 · Value.tanh._backward in engine.py: not implemented yet (the TODO just above says what to write)')

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            # TODO: relu passes the gradient through where its input was positive and blocks it elsewhere;
            #       at exactly 0 the course takes PyTorch's choice, slope 0.
            # Stuck? One more hint at a time: make lab-check WEEK=01 HINT=2 (in the notebook: check(2, hint=2))
            raise NotImplementedError('Lab 1 · Value.relu._backward in engine.py: not implemented yet (the TODO just above says what to write)')

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
        # TODO: A topological order of the graph: every node after all of its operands (node._prev).
        #       Seed self.grad = 1.0, then run each node's _backward() in the reverse of that order, so a
        #       node runs only after every node that uses it. Each node once, however many paths reach it.
        # Stuck? One more hint at a time: make lab-check WEEK=01 HINT=2 (in the notebook: check(1, hint=2))
        raise NotImplementedError('Lab 1 · Value.backward in engine.py: not implemented yet (the TODO just above says what to write)')
