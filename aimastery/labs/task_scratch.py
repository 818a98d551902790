"""The from-scratch check of one task: only the functions that task asks for, and what they use.

:func:`aimastery.labs.scratch.assert_written_from_scratch` reads a whole
module, so a shortcut in one function fails every task whose tests call it:
Lab 5's ``conv.py`` holds Tasks 1-3, and a ``torch`` call in Task 2's
``conv2d_backward`` failed Tasks 1 and 3 while Task 2 passed. First used by
Lab 5 (solutions/week05_cnn/)::

    assert_task_written_from_scratch(conv, ("col2im", "conv2d_backward"), FINISHED)

It runs that same check on the module cut down to the named top-level
functions and classes and the module-level statements they depend on (an
``import``, ``from ... import`` or assignment binding a name they use,
followed transitively), each at its own line, so that the message still
names the real line of the real file.
"""

from __future__ import annotations

import ast
import inspect
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from aimastery.labs.scratch import ORACLES, assert_written_from_scratch


def _bound(node: ast.stmt) -> set[str]:
    """The names a module-level statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def assert_task_written_from_scratch(module: ModuleType, names: Sequence[str], forbidden: Sequence[str] = ORACLES,
                                     *, allowed: Sequence[str] = ()) -> None:
    """:func:`assert_written_from_scratch` on ``names`` of ``module`` and on what they reach, nothing else."""
    source = inspect.getsource(module)
    statements = ast.parse(source).body
    missing = [n for n in names if not hasattr(module, n)]
    if missing:
        raise AssertionError(f"{module.__name__} has no {', '.join(missing)}: keep the names the stub gives")
    wanted, kept = set(names), set()
    while True:  # the task's definitions, then whatever binds a name they use, until nothing new
        new = [i for i, s in enumerate(statements) if i not in kept and _bound(s) & wanted]
        if not new:
            break
        for i in new:
            kept.add(i)
            wanted |= _used(statements[i])
    lines = source.splitlines()
    keep = {line for i in kept for line in range(min([statements[i].lineno]
                                                     + [d.lineno for d in getattr(statements[i], "decorator_list", [])]),
                                                 statements[i].end_lineno + 1)}
    scoped = "\n".join(text if number in keep else "" for number, text in enumerate(lines, start=1)) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(inspect.getsourcefile(module) or f"{module.__name__}.py").name
        path.write_text(scoped, encoding="utf-8")
        view = ModuleType(module.__name__)  # same name: the module's own classes are not foreign to it
        view.__file__ = str(path)
        view.__dict__.update({n: v for n, v in vars(module).items() if n in wanted})
        assert_written_from_scratch(view, forbidden, allowed=allowed)
