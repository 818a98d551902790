"""Generate the learner's stubs in ``labs/`` from ``solutions/`` (and check them).

A marked region::

    ### BEGIN SOLUTION: d(a*b)/da = b
    self.grad += other.data * out.grad
    ### END SOLUTION

becomes, at the same indentation::

    # TODO: d(a*b)/da = b
    raise NotImplementedError("Lab 1 · Value.__mul__._backward: not implemented yet (see the TODO above)")

Python files are rewritten this way; every other file is copied as it is.
"""

from __future__ import annotations

import ast
import filecmp
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from aimastery.config import REPO_ROOT

SOLUTIONS = REPO_ROOT / "solutions"
LABS = REPO_ROOT / "labs"
#: Part III's labs are named by their chapter, not a week: folder prefix -> how reports name the lab.
NAMED_LABS = {"capstone": "Capstone lab", "mlops": "MLOps lab", "vector": "Vector search lab"}
# weekNN_topic for the weekly labs, capstone_topic / mlops_topic / vector_topic for Part III's
LAB_DIR_RE = re.compile(r"^(?:week(?P<week>\d\d)|(?P<named>" + "|".join(NAMED_LABS) + r"))_[a-z0-9_]+$")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.ipynb", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis")

BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION(?::[ \t]*(?P<hint>.*?))?[ \t]*$")
END_RE = re.compile(r"^(?P<indent>[ \t]*)### END SOLUTION[ \t]*$")

PACKAGE_DOC = '"""Your lab code. Generated from solutions/ by `make labs`: edit the stubs here."""\n'


class MarkerError(ValueError):
    """A solution file whose markers do not pair up."""


def lab_key(lab_dir: Path) -> str:
    """The name ``make lab-check WEEK=...`` knows a lab by: "01" ... "08", or a Part III name ("capstone", "mlops", "vector")."""
    match = LAB_DIR_RE.match(lab_dir.name)
    if not match:
        named = ", ".join(f"{k}_topic" for k in NAMED_LABS)
        raise ValueError(f"a lab folder is named weekNN_topic (e.g. week01_autodiff) or one of {named}, "
                         f"got {lab_dir.name!r}")
    return match.group("week") or match.group("named")


def lab_title(lab_dir: Path) -> str:
    """How reports and stubs name a lab: "Lab 1", "Capstone lab", "MLOps lab"."""
    key = lab_key(lab_dir)
    return NAMED_LABS.get(key) or f"Lab {int(key)}"


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


def strip_solutions(source: str, *, lab: str, filename: str, location: str | None = None) -> str:
    """Replace each marked region of ``source`` with a TODO and a raise.

    ``filename`` names the source in marker errors; ``location`` (default:
    ``filename``) is how the stub's message names the file the learner edits.
    """
    location = location or filename
    spans = _enclosing_names(ast.parse(source, filename=filename))
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        begin = BEGIN_RE.match(lines[i].rstrip("\r\n"))
        if END_RE.match(lines[i].rstrip("\r\n")):
            raise MarkerError(f"{filename}:{i + 1}: '### END SOLUTION' without a BEGIN above it")
        if not begin:
            out.append(lines[i])
            i += 1
            continue
        indent, hint = begin.group("indent"), (begin.group("hint") or "").strip()
        j = i + 1
        while j < len(lines) and not END_RE.match(lines[j].rstrip("\r\n")):
            if BEGIN_RE.match(lines[j].rstrip("\r\n")):
                raise MarkerError(f"{filename}:{j + 1}: a BEGIN SOLUTION inside the region opened on line {i + 1}")
            j += 1
        if j == len(lines):
            raise MarkerError(f"{filename}:{i + 1}: '### BEGIN SOLUTION' has no '### END SOLUTION' below it")
        inside = [name for first, last, name in spans if first <= i + 1 <= last]
        where = max(inside, key=len) if inside else "module level"
        if hint:
            out.append(f"{indent}# TODO: {hint}\n")
        # the function's name, not a line number: a line number goes stale as soon as the learner writes code above it
        message = f"{lab} · {where} in {location}: not implemented yet"
        if hint:
            message += " (the TODO just above says what to write)"
        out.append(f"{indent}raise NotImplementedError({message!r})\n")
        i = j + 1
    stub = "".join(out)
    ast.parse(stub, filename=f"{filename} (generated stub)")  # the stub must stay valid Python
    return stub


def generate_lab(solution_dir: Path, target_dir: Path) -> None:
    """Write one lab's stubs: copy ``solution_dir`` to ``target_dir``, stripping solutions."""
    lab = lab_title(solution_dir)
    if target_dir.exists():
        shutil.rmtree(target_dir)
    shutil.copytree(solution_dir, target_dir, ignore=IGNORED)
    for path in sorted(target_dir.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "### BEGIN SOLUTION" in text or "### END SOLUTION" in text:
            rel = path.relative_to(target_dir)
            stub = strip_solutions(text, lab=lab, filename=f"{solution_dir.name}/{rel}", location=str(rel))
            path.write_text(stub, encoding="utf-8")


def solution_dirs(solutions: Path = SOLUTIONS) -> list[Path]:
    return sorted(p for p in solutions.iterdir() if p.is_dir() and LAB_DIR_RE.match(p.name))


def generate_all(solutions: Path = SOLUTIONS, labs: Path = LABS) -> list[Path]:
    """Regenerate every lab under ``labs`` (removing labs that no longer have a solution)."""
    labs.mkdir(parents=True, exist_ok=True)
    (labs / "__init__.py").write_text(PACKAGE_DOC, encoding="utf-8")
    wanted = {d.name for d in solution_dirs(solutions)}
    for stale in labs.iterdir():
        if stale.is_dir() and LAB_DIR_RE.match(stale.name) and stale.name not in wanted:
            shutil.rmtree(stale)
    written = []
    for solution_dir in solution_dirs(solutions):
        generate_lab(solution_dir, labs / solution_dir.name)
        written.append(labs / solution_dir.name)
    return written


@dataclass
class SyncReport:
    missing: list[str]  # generated, absent from labs/
    extra: list[str]  # in labs/, not generated
    differing: list[str]

    @property
    def in_sync(self) -> bool:
        return not (self.missing or self.extra or self.differing)


def _files(root: Path) -> set[str]:
    skip = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis"}
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not skip.intersection(p.parts) and p.suffix not in {".pyc", ".ipynb"}
    }


def compare_with_generated(fresh: Path, labs: Path = LABS) -> SyncReport:
    """Compare ``labs`` with a fresh generation in ``fresh`` (file by file, byte for byte)."""
    want, have = _files(fresh), _files(labs) if labs.exists() else set()
    common = sorted(want & have)
    differing = [f for f in common if not filecmp.cmp(fresh / f, labs / f, shallow=False)]
    return SyncReport(missing=sorted(want - have), extra=sorted(have - want), differing=differing)
