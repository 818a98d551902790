"""A lab check: the learner's module wrote the idea itself instead of importing a finished one.

First used in Lab 3 (solutions/week03_evaluation/), whose tests compare the
learner's metrics with scikit-learn's: calling scikit-learn would pass them
without learning anything. Every lab uses it since: the course ships the
finished version of what each lab asks (``aimastery.autodiff`` is Lab 1's
engine, ``aimastery.optim`` has Lab 2's optimisers, ...), and one import
line would pass a lab's tests.

The check reads the module twice. Its source, parsed: every ``import``,
``from ... import``, ``__import__``/``importlib.import_module`` call and
dotted name (``aimastery.optim.SGD``) that reaches a forbidden package. And
its namespace, imported: every class or function in it that was defined in a
forbidden package, or a class that inherits from one. A docstring that
merely names a package is fine; a name cannot fool it.

``functions=`` scopes the check to one task: a module such as Lab 5's
``conv.py`` holds Tasks 1-3, and a ``torch`` call in Task 2's
``conv2d_backward`` must fail Task 2, not Tasks 1 and 3. Then only the named
top-level functions and classes are read, with the module-level statements
they depend on (an import or assignment binding a name they use, followed
transitively), each at its own line, so a message still names the real line.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

#: Lab 3's oracles: the packages whose finished metrics its tests compare with.
ORACLES = ("sklearn", "aimastery.evaluation")
#: Forbidden in every lab: the reference solutions themselves.
ALWAYS = ("solutions",)


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of everything the source imports or reaches through a dotted name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("__import__", "import_module"):
                found.append((node.lineno, node.args[0].value))
        elif isinstance(node, ast.Attribute):
            parts, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                parts.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name):
                found.append((node.lineno, ".".join([value.id, *reversed(parts)])))
    return found


def _matches(name: str, prefixes: Sequence[str]) -> str | None:
    return next((p for p in prefixes if name == p or name.startswith(p + ".")), None)


def _resolve(dotted: str) -> object | None:
    """The object a dotted name such as ``aimastery.optim.Optimizer`` names, or None."""
    module, _, attr = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError):
        return None


def _fail(where: str, what: str, hit: str) -> None:
    whose = "the lab's reference solution" if hit in ALWAYS else f"{hit} is the finished version the tests compare with"
    raise AssertionError(f"{where} {what}: this lab asks you to write that yourself ({whose}). "
                         "Remove it and fill in the TODO.")


def _bound(node: ast.stmt) -> set[str]:
    """The names a module-level statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _scope(module: ModuleType, source: str, names: Sequence[str]) -> tuple[str, set[str]]:
    """``source`` with every line blanked but those of ``names`` and what they reach; the names kept."""
    missing = [n for n in names if not hasattr(module, n)]
    if missing:
        raise AssertionError(f"{module.__name__} has no {', '.join(missing)}: keep the names the stub gives")
    statements = ast.parse(source).body
    wanted, kept = set(names), set()
    while True:  # the task's definitions, then whatever binds a name they use, until nothing new
        new = [i for i, st in enumerate(statements) if i not in kept and _bound(st) & wanted]
        if not new:
            break
        for i in new:
            kept.add(i)
            wanted |= {n.id for n in ast.walk(statements[i]) if isinstance(n, ast.Name)}
    keep = {line for i in kept
            for line in range(min([statements[i].lineno] + [d.lineno for d in getattr(statements[i], "decorator_list", [])]),
                              statements[i].end_lineno + 1)}
    lines = source.splitlines()
    return "\n".join(text if number in keep else "" for number, text in enumerate(lines, start=1)) + "\n", wanted


def assert_written_from_scratch(module: ModuleType, forbidden: Sequence[str] = ORACLES, *,
                                allowed: Sequence[str] = (), functions: Sequence[str] | None = None) -> None:
    """Fail when ``module`` uses any of ``forbidden`` (or a submodule of one), or ``solutions``.

    ``allowed`` lists dotted names the lab gives (e.g. ``"aimastery.optim.Optimizer"``,
    the base class Lab 2's optimisers subclass): importing exactly those is fine.
    ``functions`` limits the check to those names and what they use (one task's part of a module).
    """
    forbidden = tuple(forbidden) + ALWAYS
    source = inspect.getsource(module)
    namespace = vars(module)
    if functions is not None:
        source, reached = _scope(module, source, functions)
        namespace = {n: v for n, v in namespace.items() if n in reached}
    where = Path(inspect.getsourcefile(module) or module.__name__).name
    for line, name in _imported_names(ast.parse(source)):
        hit = _matches(name, forbidden)
        if hit and not any(name == a or name.startswith(a + ".") for a in allowed):
            # `from aimastery.optim import Optimizer` is fine; `import aimastery.optim` reaches all of it
            if any(a.startswith(name + ".") for a in allowed):
                continue
            _fail(f"{where}:{line}", f"uses {name}", hit)
    given = [obj for obj in map(_resolve, allowed) if obj is not None]
    for attr, obj in namespace.items():
        if not (inspect.isclass(obj) or inspect.isfunction(obj)) or any(obj is g for g in given):
            continue
        bases = [c for c in (obj.__mro__ if inspect.isclass(obj) else (obj,))
                 if c.__module__ != module.__name__ and not any(c is g for g in given)]
        for c in bases:
            hit = _matches(c.__module__, forbidden)
            if hit:
                how = "is" if c is obj else "inherits from"
                _fail(where, f"{attr} {how} {c.__module__}.{c.__qualname__}", hit)
