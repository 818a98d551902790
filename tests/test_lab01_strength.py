"""Lab 1's tests must catch the mistakes learners make, not only pass the solution.

Each mutant is the reference engine with one classic bug; the lab's tests
must fail on every one of them, in the task that owns the bug.
"""

from aimastery.config import REPO_ROOT
from aimastery.labs.mutants import uncaught_mutants

SOLUTION = REPO_ROOT / "solutions" / "week01_autodiff"

TOPOLOGICAL = """\
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
"""

BREADTH_FIRST = """\
        order, seen, queue = [], set(), [self]
        while queue:
            node = queue.pop(0)
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
                queue.extend(node._prev)
        self.grad = 1.0
        for node in order:
            node._backward()
"""

RECURSIVE = """\
        topo, visited = [], set()

        def build(v):
            if id(v) not in visited:
                visited.add(id(v))
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
"""

NO_VISITED_SET = TOPOLOGICAL.replace("elif id(node) not in visited:", "else:").replace(
    "                visited.add(id(node))\n", "")

POW_AT_ZERO = """\
            if exponent == 0:
                slope = 0.0  # a**0 is the constant 1, even at a = 0
            elif self.data == 0 and exponent < 1:
                slope = math.inf  # 0 < exponent < 1: the curve is vertical at 0 (0.5 * 0**-0.5)
            else:
                slope = exponent * self.data ** (exponent - 1)
"""

PRE_ORDER = """\
        order, seen, stack = [], set(), [self]
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)  # listed when first met, before its operands
                stack.extend(OPERANDS)
        self.grad = 1.0
        for node in order:
            node._backward()
"""

END_OF_BACKWARD = "        for node in reversed(topo):\n            node._backward()\n        ### END SOLUTION\n"

MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    # Task 1: the walk (+ and * are given)
    "breadth-first order": (1, [(TOPOLOGICAL, BREADTH_FIRST)]),
    "recursive topological sort": (1, [(TOPOLOGICAL, RECURSIVE)]),
    "nodes visited once per path": (1, [(TOPOLOGICAL, NO_VISITED_SET)]),
    "output gradient not seeded": (1, [("        self.grad = 1.0\n        for node in reversed", "        for node in reversed")]),
    "closures called in forward order": (1, [("        for node in reversed(topo):", "        for node in topo:")]),
    "pre-order stack walk (count_nodes)": (1, [(TOPOLOGICAL, PRE_ORDER.replace("OPERANDS", "node._prev"))]),
    "pre-order stack walk, operands reversed": (1, [(TOPOLOGICAL, PRE_ORDER.replace("OPERANDS", "reversed(node._prev)"))]),
    "imports the finished engine": (1, [(END_OF_BACKWARD, END_OF_BACKWARD + "\n\nfrom aimastery.autodiff import Value  # noqa\n")]),
    "imports the reference solution": (2, [(END_OF_BACKWARD, END_OF_BACKWARD + "\n\nfrom solutions.week01_autodiff.engine import Value  # noqa\n")]),
    # Task 2: the closures of the other operations
    "tanh slope from its input": (2, [("(1.0 - t * t)", "(1.0 - self.data * self.data)")]),
    "relu slope 1 at zero": (2, [("(out.data > 0) * out.grad", "(self.data >= 0) * out.grad")]),
    "pow slope without n": (2, [("slope = exponent * self.data ** (exponent - 1)", "slope = self.data ** (exponent - 1)")]),
    "log slope 1/out": (2, [("out.grad / self.data", "out.grad / out.data")]),
    "= instead of += in exp": (2, [("self.grad += out.data * out.grad", "self.grad = out.data * out.grad")]),
    "exp ignores out.grad": (2, [("self.grad += out.data * out.grad", "self.grad += out.data")]),
    "= instead of += in relu": (2, [("self.grad += (out.data > 0) * out.grad", "self.grad = (out.data > 0) * out.grad")]),
    "pow at 0 as written (divides by zero)": (2, [(POW_AT_ZERO, "            slope = exponent * self.data ** (exponent - 1)\n")]),
    "0 ** 0 from the formula": (2, [("            if exponent == 0:\n                slope = 0.0  # a**0 is the constant 1, even at a = 0\n            elif",
                                     "            if")]),
    "0 ** 0.5 slope 0, not inf": (2, [("slope = math.inf", "slope = 0.0")]),
}


def test_every_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "engine.py", "test_engine.py", MUTANTS, tmp_path)
    assert not uncaught, f"Lab 1's tests pass these buggy engines: {uncaught}"
