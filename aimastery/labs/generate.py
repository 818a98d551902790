"""Generate the learner's stubs in ``labs/`` from ``solutions/`` (and check them).

A marked region (the markers: :mod:`aimastery.labs.hints`)::

    ### BEGIN SOLUTION (Task 2)
    ### HINT 1: d(a*b)/da = b
    ### HINT 2: the gradient flowing in is out.grad: add, do not assign
    self.grad += other.data * out.grad
    ### END SOLUTION

becomes, at the same indentation::

    # TODO: d(a*b)/da = b
    # Stuck? One more hint at a time: make lab-check WEEK=01 HINT=2 (in the notebook: check(2, hint=2))
    raise NotImplementedError("Lab 1 · Value.__mul__._backward in engine.py: not implemented yet (...)")

When code below the region reads what the region sets, the TODO says so
(the learner who deletes "the unreachable lines" loses it otherwise).
Python files are rewritten this way; every other file is copied as it is.
"""

from __future__ import annotations

import ast
import filecmp
import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

from aimastery.config import REPO_ROOT
from aimastery.labs.hints import MarkerError, Region, parse_regions  # noqa: F401 (MarkerError: raised from here)

SOLUTIONS = REPO_ROOT / "solutions"
LABS = REPO_ROOT / "labs"
#: Part III's labs are named by their chapter, not a week: folder prefix -> how reports name the lab.
NAMED_LABS = {"capstone": "Capstone lab", "mlops": "MLOps lab", "vector": "Vector search lab"}
# weekNN_topic for the weekly labs, capstone_topic / mlops_topic / vector_topic for Part III's
LAB_DIR_RE = re.compile(r"^(?:week(?P<week>\d\d)|(?P<named>" + "|".join(NAMED_LABS) + r"))_[a-z0-9_]+$")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.ipynb", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis")

PACKAGE_DOC = '"""Your lab code. Generated from solutions/ by `make labs`: edit the stubs here."""\n'


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


def _assigned_names(code: list[str]) -> list[str]:
    """The names (and ``self.`` attributes) a region's code assigns, in order of first assignment."""
    try:
        tree = ast.parse(textwrap.dedent("".join(code)))
    except SyntaxError:
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name) and node.value.id == "self":
            names.append(f"self.{node.attr}")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name):
            names.append(node.value.id)  # fold_of[i] = ... fills an array the code after it reads
    return list(dict.fromkeys(names))


def _used_after(region: Region, lines: list[str], function_end: int) -> list[str]:
    """What the code after the region (to the end of its function) reads of what the region assigns."""
    after = "".join(lines[region.end + 1:function_end])
    words = set(re.findall(r"(?:self\.)?[A-Za-z_]\w*", after))
    return [name for name in _assigned_names(region.code) if name in words]


def _function_end(source_tree: ast.Module, line: int, n_lines: int) -> int:
    """The last line (1-based) of the innermost function around ``line``; the file's end at module level."""
    ends = [node.end_lineno for node in ast.walk(source_tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= line <= node.end_lineno]
    return min(ends) if ends else n_lines


def _todo(region: Region, week: str | None) -> list[str]:
    """The stub's comment lines: hint 1, where the next hint is, what the code after the raise needs."""
    if not region.hints:
        return []
    first, *more = region.hints[0].splitlines()
    out = [f"# TODO: {first}"] + [f"#       {line}" if line else "#" for line in more]
    if len(region.hints) > 1 and week:
        task = region.task if region.task is not None else "n"
        out.append(f"# Stuck? One more hint at a time: make lab-check WEEK={week} HINT=2 "
                   f"(in the notebook: check({task}, hint=2))")
    return out


def strip_solutions(source: str, *, lab: str, filename: str, location: str | None = None,
                    week: str | None = None) -> str:
    """Replace each marked region of ``source`` with its first hint as a TODO, and a raise.

    ``filename`` names the source in marker errors; ``location`` (default:
    ``filename``) is how the stub's message names the file the learner edits;
    ``week`` ("03", "capstone") is how the TODO tells where the next hint is.
    """
    location = location or filename
    regions = parse_regions(source, filename)
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    done = 0
    for region in regions:
        out += lines[done:region.begin]
        indent = region.indent
        out += [f"{indent}{line}".rstrip() + "\n" for line in _todo(region, week)]
        kept = _used_after(region, lines, _function_end(tree, region.begin + 1, len(lines)))
        if kept:
            names = kept[0] if len(kept) == 1 else f"{', '.join(kept[:-1])} and {kept[-1]}"
            out.append(f"{indent}# Keep the code below the raise: it uses the {names} you set here.\n")
        # the function's name, not a line number: a line number goes stale as soon as the learner writes code above it
        message = f"{lab} · {region.where} in {location}: not implemented yet"
        if region.hints:
            message += " (the TODO just above says what to write)"
        out.append(f"{indent}raise NotImplementedError({message!r})\n")
        done = region.end + 1
    out += lines[done:]
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
            stub = strip_solutions(text, lab=lab, filename=f"{solution_dir.name}/{rel}", location=str(rel),
                                   week=lab_key(solution_dir))
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
