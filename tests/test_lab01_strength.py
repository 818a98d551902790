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

MUTANTS = {  # name: (the task that must catch it, [(text in the solution, replacement)])
    "breadth-first order": (2, [(TOPOLOGICAL, BREADTH_FIRST)]),
    "recursive topological sort": (2, [(TOPOLOGICAL, RECURSIVE)]),
    "nodes visited once per path": (2, [(TOPOLOGICAL, NO_VISITED_SET)]),
    "output gradient not seeded": (2, [("        self.grad = 1.0\n        for node in reversed", "        for node in reversed")]),
    "= instead of += in +": (1, [("            self.grad += out.grad\n", "            self.grad = out.grad\n")]),
    "= instead of += in *": (1, [("            other.grad += self.data * out.grad", "            other.grad = self.data * out.grad")]),
    "* passes the wrong operand": (1, [("self.grad += other.data * out.grad", "self.grad += self.data * out.grad")]),
    "tanh slope from its input": (3, [("(1.0 - t * t)", "(1.0 - self.data * self.data)")]),
    "relu slope 1 at zero": (3, [("(out.data > 0) * out.grad", "(self.data >= 0) * out.grad")]),
    "pow slope without n": (3, [("exponent * self.data ** (exponent - 1)", "self.data ** (exponent - 1)")]),
    "log slope 1/out": (3, [("out.grad / self.data", "out.grad / out.data")]),
}


def test_every_mutant_is_caught(tmp_path):
    uncaught = uncaught_mutants(SOLUTION, "engine.py", "test_engine.py", MUTANTS, tmp_path)
    assert not uncaught, f"Lab 1's tests pass these buggy engines: {uncaught}"
