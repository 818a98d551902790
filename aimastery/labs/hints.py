"""The solution markers of a lab, and the progressive hints they carry.

A region of a solution file is what the learner writes. It opens with a
BEGIN line that names its task, then its hints, one ``### HINT k:`` each
(a hint may go on over further ``###`` lines), then the code::

    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: the idea: which formula of the chapter, which shape, which edge case
    ### HINT 2: more concrete ...
    ###         ... over two lines
    ### HINT 3: close to the code
    total = ...
    ### END SOLUTION

The older one-line form ``### BEGIN SOLUTION: <hint>`` still works: one
hint, and no task (the report then finds the region's task from the stubs'
"not implemented yet" messages, which name its function).

:mod:`aimastery.labs.generate` turns hint 1 into the stub's ``# TODO``;
``make lab-check WEEK=NN HINT=k`` (:mod:`aimastery.labs.runner`) shows hint
k of every region whose task does not pass, read from ``solutions/``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION"
                      r"(?:[ \t]*\(Task[ \t]+(?P<task>\d+)\))?(?::[ \t]*(?P<hint>.*?))?[ \t]*$")
END_RE = re.compile(r"^(?P<indent>[ \t]*)### END SOLUTION[ \t]*$")
HINT_RE = re.compile(r"^[ \t]*### HINT[ \t]+(?P<number>\d+):[ \t]*(?P<text>.*?)[ \t]*$")
MORE_RE = re.compile(r"^[ \t]*###(?:[ \t]+(?P<text>.*?))?[ \t]*$")  # a hint going on over another line
TASK_RE = re.compile(r"""mark\.task\(\s*(\d+)\s*,\s*(["'])(.+?)\2""")


class MarkerError(ValueError):
    """A solution file whose markers do not pair up, or whose hints are malformed."""


@dataclass
class Region:
    """One marked region: lines ``begin`` .. ``end`` (0-based, both marker lines included)."""

    begin: int
    end: int
    indent: str
    task: int | None
    hints: list[str]  # hint 1 first; each may hold several lines
    where: str  # the enclosing function, dotted ("TfidfVectorizer.fit"), or "module level"
    code: list[str] = field(default_factory=list)  # the solution's lines


def _enclosing_names(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(first line, last line, dotted name) of every class and function."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def _hints(lines: list[str], first: int, filename: str, one_line: str) -> tuple[list[str], int]:
    """The hints that open a region at line ``first`` and the index of its first line of code."""
    hints: list[str] = [one_line] if one_line else []
    i = first
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        if BEGIN_RE.match(line) or END_RE.match(line):
            break
        hint = HINT_RE.match(line)
        if hint:
            number = int(hint.group("number"))
            if one_line:
                raise MarkerError(f"{filename}:{i + 1}: a region has either a hint after 'BEGIN SOLUTION:' "
                                  "or '### HINT k:' lines, not both")
            if number != len(hints) + 1:
                raise MarkerError(f"{filename}:{i + 1}: hints are numbered 1, 2, 3, ... in order; "
                                  f"expected HINT {len(hints) + 1}, got HINT {number}")
            hints.append(hint.group("text"))
        elif MORE_RE.match(line) and hints and not one_line:
            hints[-1] += "\n" + (MORE_RE.match(line).group("text") or "")
        else:
            break
        i += 1
    return [h.strip() for h in hints], i


def parse_regions(source: str, filename: str) -> list[Region]:
    """Every marked region of a solution file, with its task, hints and enclosing function."""
    spans = _enclosing_names(ast.parse(source, filename=filename))
    lines = source.splitlines(keepends=True)
    regions: list[Region] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        if END_RE.match(line):
            raise MarkerError(f"{filename}:{i + 1}: '### END SOLUTION' without a BEGIN above it")
        begin = BEGIN_RE.match(line)
        if not begin:
            i += 1
            continue
        hints, code_start = _hints(lines, i + 1, filename, (begin.group("hint") or "").strip())
        j = code_start
        while j < len(lines) and not END_RE.match(lines[j].rstrip("\r\n")):
            if BEGIN_RE.match(lines[j].rstrip("\r\n")):
                raise MarkerError(f"{filename}:{j + 1}: a BEGIN SOLUTION inside the region opened on line {i + 1}")
            if HINT_RE.match(lines[j].rstrip("\r\n")):
                raise MarkerError(f"{filename}:{j + 1}: a HINT line after the region's code; "
                                  "hints come first, right after BEGIN SOLUTION")
            j += 1
        if j == len(lines):
            raise MarkerError(f"{filename}:{i + 1}: '### BEGIN SOLUTION' has no '### END SOLUTION' below it")
        inside = [name for first, last, name in spans if first <= i + 1 <= last]
        task = begin.group("task")
        regions.append(Region(begin=i, end=j, indent=begin.group("indent"), task=int(task) if task else None,
                              hints=hints, where=max(inside, key=len) if inside else "module level",
                              code=lines[code_start:j]))
        i = j + 1
    return regions


def without_hints(source: str, filename: str = "solution") -> str:
    """``source`` with every region's hint lines removed (its code and markers kept).

    A mutant strength test edits the solution's code by text; hint 3 may
    quote a line of that code, and an edit must find its target once.
    """
    lines = source.splitlines(keepends=True)
    drop: set[int] = set()
    for region in parse_regions(source, filename):
        drop.update(range(region.begin + 1, region.end - len(region.code)))
    return "".join(line for i, line in enumerate(lines) if i not in drop)


@dataclass
class LabHint:
    """The hints of one region, as the report shows them."""

    file: str  # relative to the lab folder
    where: str
    task: int | None
    hints: list[str]


def lab_hints(solution_dir: Path) -> list[LabHint]:
    """Every region's hints in a lab's solution folder, file by file, in order."""
    found: list[LabHint] = []
    for path in sorted(Path(solution_dir).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "### BEGIN SOLUTION" not in text:
            continue
        rel = str(path.relative_to(solution_dir))
        found += [LabHint(rel, r.where, r.task, r.hints) for r in parse_regions(text, rel)]
    return found


def lab_tasks(lab_dir: Path) -> dict[int, str]:
    """Task number -> title, read from the ``@pytest.mark.task(n, "title")`` markers of a lab's test files.

    Read as text, not imported: it works on a lab whose code does not import.
    """
    tasks: dict[int, str] = {}
    for path in sorted(Path(lab_dir).rglob("test_*.py")):
        for number, _, title in TASK_RE.findall(path.read_text(encoding="utf-8")):
            tasks.setdefault(int(number), title)
    return dict(sorted(tasks.items()))
