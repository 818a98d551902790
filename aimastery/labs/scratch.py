"""A lab check: the learner's module wrote the idea itself instead of importing the oracle.

First used in Lab 3 (solutions/week03_evaluation/), whose tests compare the
learner's metrics with scikit-learn's: calling scikit-learn would pass them
without learning anything. The check reads the module's imports (its source,
parsed), so it costs nothing and cannot be fooled by a name.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

#: Packages whose finished versions of the lab's functions the tests use as oracles.
ORACLES = ("sklearn", "aimastery.evaluation")


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("__import__", "import_module"):
                found.append((node.lineno, node.args[0].value))
    return found


def assert_written_from_scratch(module: ModuleType, forbidden: Sequence[str] = ORACLES) -> None:
    """Fail when ``module`` imports any of ``forbidden`` (or a submodule of one)."""
    source = inspect.getsource(module)
    where = Path(inspect.getsourcefile(module) or module.__name__).name
    for line, name in _imported_names(ast.parse(source)):
        hit = next((f for f in forbidden if name == f or name.startswith(f + ".")), None)
        if hit:
            raise AssertionError(f"{where}:{line} imports {name}: this lab asks you to write the idea yourself "
                                 f"with NumPy and the standard library ({hit} is what the tests compare with)")
