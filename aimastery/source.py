"""Show the course package's own code in a chapter, so that the page teaches the code that runs.

First used in Week 4 (book/week04_mlp.md): the fast NumPy MLP lives once, in
:mod:`aimastery.mlp` (the benchmark imports it), and the chapter displays it
with :func:`show_source` instead of keeping a second copy that could drift.
"""

from __future__ import annotations

import ast
import inspect
import textwrap


class SourceCode:
    """Python source that renders as a highlighted code block (Markdown) in Jupyter and in the book."""

    def __init__(self, code: str):
        self.code = code

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.code}\n```"

    def __repr__(self) -> str:  # plain-text fallback
        return self.code


def show_source(*objects, skip_docstring: bool = False) -> SourceCode:
    """The source of each class or function, one after the other.

    ``skip_docstring`` drops each object's docstring (when the prose around
    it says the same thing).
    """
    if not objects:
        raise ValueError("show_source needs at least one class or function")
    parts = []
    for obj in objects:
        try:
            code = textwrap.dedent(inspect.getsource(obj)).rstrip()
        except (TypeError, OSError) as err:
            raise TypeError(f"show_source shows classes and functions defined in a file, "
                            f"not {obj!r} ({err})") from None
        if skip_docstring and obj.__doc__:
            code = _without_docstring(code)
        parts.append(code)
    return SourceCode("\n\n\n".join(parts))


def _without_docstring(code: str) -> str:
    body = ast.parse(code).body[0].body
    first = body[0]
    is_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    if not is_docstring:
        return code
    lines = code.splitlines()
    del lines[first.lineno - 1:first.end_lineno]
    if first.lineno - 1 < len(lines) and not lines[first.lineno - 1].strip():
        del lines[first.lineno - 1]  # the blank line that followed it
    return "\n".join(lines)
